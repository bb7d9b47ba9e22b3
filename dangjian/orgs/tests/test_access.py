"""The access root across every persona: what each sees and what each may do where."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.orgs.access import (
    access_org_by_id,
    may,
    orgs_visible_to,
    require,
    roles_on,
    scope_roots,
    viewer_grants,
    viewer_top_orgs,
)
from dangjian.orgs.tests.factories import grant, make_user

VISIBLE = {
    "county_admin": {
        "county",
        "township_a",
        "village_a1",
        "group_a1",
        "village_a2",
        "township_b",
        "village_b1",
        "organs",
        "bureau",
    },
    "township_a": {"township_a", "village_a1", "group_a1", "village_a2"},
    "township_b": {"township_b", "village_b1"},
    "village_secretary": {"village_a1", "group_a1"},
    "member": {"village_a1", "group_a1"},
    "grid_worker": {"township_a", "village_a1", "group_a1", "village_a2"},
    "inspector": {
        "county",
        "township_a",
        "village_a1",
        "group_a1",
        "village_a2",
        "township_b",
        "village_b1",
        "organs",
        "bureau",
    },
    "nobody": set(),
}

TOP = {
    "county_admin": ["county"],
    "township_a": ["township_a"],
    "township_b": ["township_b"],
    "village_secretary": ["village_a1"],
    "member": ["village_a1"],
    "grid_worker": ["township_a"],
    "inspector": ["county"],
    "nobody": [],
}


def _names(tree, orgs) -> set[str]:  # type: ignore[no-untyped-def]
    by_pk = {getattr(tree, k).pk: k for k in tree.__dict__}
    return {by_pk[o.pk] for o in orgs}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_each_persona_sees_exactly_their_subtrees(tree, people, persona: str) -> None:
    viewer = getattr(people, persona)
    visible = orgs_visible_to(viewer)
    assert visible.count() == len(VISIBLE[persona])
    assert _names(tree, visible) == VISIBLE[persona]


@pytest.mark.parametrize("persona", list(TOP))
def test_each_persona_has_the_right_top_organizations(tree, people, persona: str) -> None:
    viewer = getattr(people, persona)
    assert [getattr(tree, k).pk for k in TOP[persona]] == [o.pk for o in viewer_top_orgs(viewer)]


# persona → action → the orgs (by fixture name) where ``may`` is True, checked on every org.
ALL = set(VISIBLE["county_admin"])
A = VISIBLE["township_a"]
B = VISIBLE["township_b"]
A1 = VISIBLE["village_secretary"]
MAY = {
    "county_admin": {
        "org.view": ALL,
        "org.create": ALL,
        "org.update": ALL,
        "org.move": ALL,
        "org.link": ALL,
        "audit.view": ALL,
        "grant.manage": ALL,
        "calendar.manage": ALL,
    },
    "township_a": {
        "org.view": A,
        "org.create": A,
        "org.update": A,
        "org.move": A,
        "org.link": A,
        "audit.view": A,
        "grant.manage": A,
        "calendar.manage": set(),
    },
    "township_b": {
        "org.view": B,
        "org.create": B,
        "org.update": B,
        "org.move": B,
        "org.link": B,
        "audit.view": B,
        "grant.manage": B,
        "calendar.manage": set(),
    },
    "village_secretary": {
        "org.view": A1,
        "org.create": A1,
        "org.update": A1,
        "org.move": set(),
        "org.link": set(),
        "audit.view": set(),
        "grant.manage": set(),
        "calendar.manage": set(),
    },
    "member": {
        "org.view": A1,
        "org.create": set(),
        "org.update": set(),
        "org.move": set(),
        "org.link": set(),
        "audit.view": set(),
        "grant.manage": set(),
        "calendar.manage": set(),
    },
    "grid_worker": {
        "org.view": A,
        "org.create": set(),
        "org.update": set(),
        "org.move": set(),
        "org.link": set(),
        "audit.view": set(),
        "grant.manage": set(),
        "calendar.manage": set(),
    },
    "inspector": {
        "org.view": ALL,
        "org.create": set(),
        "org.update": set(),
        "org.move": set(),
        "org.link": set(),
        "audit.view": ALL,
        "grant.manage": set(),
        "calendar.manage": set(),
    },
    "nobody": {
        action: set()
        for action in (
            "org.view",
            "org.create",
            "org.update",
            "org.move",
            "org.link",
            "audit.view",
            "grant.manage",
            "calendar.manage",
        )
    },
}


@pytest.mark.parametrize("persona", list(MAY))
def test_may_matches_the_permission_matrix(tree, people, persona: str) -> None:
    viewer = getattr(people, persona)
    for action, allowed in MAY[persona].items():
        actual = {name for name in ALL if may(viewer, action, getattr(tree, name))}
        assert actual == allowed, (persona, action)


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_access_org_by_id_is_404_outside_scope_and_the_org_inside(
    tree, people, persona: str
) -> None:
    viewer = getattr(people, persona)
    for name in ALL:
        org = getattr(tree, name)
        if name in VISIBLE[persona]:
            assert access_org_by_id(viewer, org.pk) == org
        else:
            with pytest.raises(Http404):
                access_org_by_id(viewer, org.pk)


def test_township_a_gets_404_for_township_b_orgs_for_every_action(tree, people) -> None:
    for org in (tree.township_b, tree.village_b1):
        for action in ("org.view", "org.update", "org.move"):
            with pytest.raises(Http404):
                access_org_by_id(people.township_a, org.pk, action=action)


def test_a_missing_org_is_the_same_404_as_a_forbidden_one(tree, people) -> None:
    with pytest.raises(Http404) as missing:
        access_org_by_id(people.township_a, 10**9)
    with pytest.raises(Http404) as forbidden:
        access_org_by_id(people.township_a, tree.township_b.pk)
    assert str(missing.value) == str(forbidden.value) == "未找到该组织，或您无权查看"


def test_inspector_may_look_but_gets_403_for_update(tree, people) -> None:
    assert access_org_by_id(people.inspector, tree.village_b1.pk) == tree.village_b1
    with pytest.raises(PermissionDenied):
        access_org_by_id(people.inspector, tree.village_b1.pk, action="org.update")


def test_require_gives_404_when_invisible_and_403_when_only_visible(tree, people) -> None:
    with pytest.raises(Http404):
        require(people.township_a, "org.update", tree.village_b1)
    with pytest.raises(PermissionDenied):
        require(people.member, "org.update", tree.village_a1)
    require(people.village_secretary, "org.update", tree.group_a1)


def test_roles_on_collects_roles_from_ancestor_grants(tree, people) -> None:
    assert roles_on(people.grid_worker, tree.group_a1) == {"grid_worker"}
    assert roles_on(people.member, tree.group_a1) == {"member"}
    assert roles_on(people.member, tree.village_a2) == set()


# --- grant validity: the day before, the day of, the day after --------------------------------


def _fresh(user: User) -> User:
    # viewer_grants caches on the object; a fresh object sees the rows as they are now.
    return User.objects.get(pk=user.pk)


def test_an_expired_grant_gives_nothing(tree) -> None:
    today = timezone.localdate()
    user = make_user("expired")
    grant(user, tree.village_a2, "party_worker", valid_to=today - dt.timedelta(days=1))
    assert orgs_visible_to(user).count() == 0
    assert may(user, "org.view", tree.village_a2) is False
    with pytest.raises(Http404):
        access_org_by_id(user, tree.village_a2.pk)


def test_a_future_grant_gives_nothing_yet(tree) -> None:
    today = timezone.localdate()
    user = make_user("future")
    grant(user, tree.village_a2, "party_worker", valid_from=today + dt.timedelta(days=1))
    assert orgs_visible_to(user).count() == 0
    assert may(user, "org.view", tree.village_a2) is False


def test_a_grant_ending_today_still_works_today(tree) -> None:
    today = timezone.localdate()
    user = make_user("last_day")
    grant(user, tree.village_a2, "party_worker", valid_from=today, valid_to=today)
    assert [o.pk for o in orgs_visible_to(user)] == [tree.village_a2.pk]
    assert may(user, "org.update", tree.village_a2) is True


@pytest.mark.parametrize(
    ("day", "active"),
    [
        (dt.date(2025, 2, 28), False),  # the day before valid_from
        (dt.date(2025, 3, 1), True),  # valid_from
        (dt.date(2025, 3, 2), True),
        (dt.date(2025, 3, 30), True),
        (dt.date(2025, 3, 31), True),  # valid_to is inclusive
        (dt.date(2025, 4, 1), False),  # the day after valid_to
    ],
)
def test_grant_validity_boundaries(tree, day: dt.date, active: bool) -> None:
    user = make_user("boundary")
    g = grant(
        user,
        tree.village_a2,
        "secretary",
        valid_from=dt.date(2025, 3, 1),
        valid_to=dt.date(2025, 3, 31),
    )
    assert [x.id for x in viewer_grants(user, on=day)] == ([g.id] if active else [])
    assert g.is_active_on(day) is active


def test_a_user_with_two_grants_sees_the_union(tree) -> None:
    user = make_user("two_hats")
    grant(user, tree.village_a2, "secretary")
    grant(user, tree.township_b, "grid_worker")
    assert _names(tree, orgs_visible_to(user)) == {"village_a2", "township_b", "village_b1"}
    assert may(user, "org.update", tree.village_a2) is True
    assert may(user, "org.update", tree.village_b1) is False  # grid_worker only looks
    assert may(user, "org.view", tree.village_b1) is True
    assert may(user, "org.view", tree.village_a1) is False


def test_a_grant_inside_another_grants_subtree_is_collapsed(tree) -> None:
    user = make_user("nested")
    grant(user, tree.township_a, "grid_worker")
    grant(user, tree.village_a1, "secretary")
    assert scope_roots(user) == [tree.township_a.path]
    assert orgs_visible_to(user).count() == 4
    assert may(user, "org.update", tree.group_a1) is True
    assert may(user, "org.update", tree.village_a2) is False


def test_a_grant_on_a_dissolved_org_gives_nothing(tree) -> None:
    user = make_user("dissolved")
    grant(user, tree.village_a2, "secretary")
    tree.village_a2.dissolved_on = dt.date(2025, 1, 1)
    tree.village_a2.save()
    assert orgs_visible_to(_fresh(user)).count() == 0


def test_an_inactive_user_sees_nothing(tree, people) -> None:
    people.county_admin.is_active = False
    people.county_admin.save()
    viewer = _fresh(people.county_admin)
    assert orgs_visible_to(viewer).count() == 0
    assert may(viewer, "org.view", tree.county) is False


def test_nobody_sees_nothing_and_may_nothing(tree, people) -> None:
    assert orgs_visible_to(people.nobody).count() == 0
    assert list(viewer_top_orgs(people.nobody)) == []
    for name in ALL:
        assert may(people.nobody, "org.view", getattr(tree, name)) is False
        with pytest.raises(Http404):
            access_org_by_id(people.nobody, getattr(tree, name).pk)


def test_anonymous_sees_nothing(tree) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert orgs_visible_to(AnonymousUser()).count() == 0
    assert viewer_grants(None) == []
