"""Property: any sequence of creates and moves keeps the materialized path consistent."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dangjian.core.models import AuditLog
from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
from dangjian.orgs.models import Organization
from dangjian.orgs.rules import child_types_allowed
from dangjian.orgs.services import org_create, org_move
from dangjian.orgs.tests.factories import _system_user, make_root

S = Organization.Sector
_roots = itertools.count(1)


def assert_tree_consistent(root: Organization) -> None:
    """Every org under ``root`` agrees with its parent, and range membership = parent walking."""
    orgs = {o.pk: o for o in Organization.objects.filter(subtree_q("path", root.path))}
    assert root.pk in orgs
    paths = [o.path for o in orgs.values()]
    assert len(paths) == len(set(paths))
    children: dict[int, list[int]] = {pk: [] for pk in orgs}
    for org in orgs.values():
        assert org.depth == len(org.path) // SEGMENT_WIDTH
        assert len(org.path) % SEGMENT_WIDTH == 0
        if org.pk == root.pk:
            continue
        parent = orgs[org.parent_id]  # a parent outside the subtree would be a KeyError
        children[parent.pk].append(org.pk)
        assert org.path[:-SEGMENT_WIDTH] == parent.path
        assert len(org.path) == len(parent.path) + SEGMENT_WIDTH
        assert org.depth == parent.depth + 1
        assert list(org.ancestor_ids) == [*parent.ancestor_ids, parent.pk]
        assert org.org_type in child_types_allowed(parent.org_type)

    def walk(pk: int) -> set[int]:
        found = {pk}
        for child in children[pk]:
            found |= walk(child)
        return found

    for org in orgs.values():
        by_range = set(
            Organization.objects.filter(subtree_q("path", org.path)).values_list("pk", flat=True)
        )
        assert by_range == walk(org.pk)

    # Copied paths follow the organizations: each org's audit rows carry its current path.
    for org_id, org_path in AuditLog.objects.filter(org_id__in=list(orgs)).values_list(
        "org_id", "org_path"
    ):
        assert org_path == orgs[org_id].path


# A few creates to grow a tree, then creates and moves interleaved.
OPS = st.tuples(
    st.lists(st.just("create"), min_size=2, max_size=10),
    st.lists(st.sampled_from(["create", "move", "move"]), min_size=3, max_size=20),
).map(lambda parts: parts[0] + parts[1])


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), ops=OPS)
def test_random_creates_and_moves_keep_every_org_consistent(data: st.DataObject, ops) -> None:
    # A fresh root per example: examples share one test transaction.
    root = make_root(f"随机县委{next(_roots)}", code=f"PROP{next(_roots):06d}")
    actor = _system_user()
    ids = [root.pk]
    moved = 0
    for step, op in enumerate(ops):
        nodes = list(Organization.objects.filter(pk__in=ids).order_by("pk"))
        if op == "create":
            parents = [o for o in nodes if child_types_allowed(o.org_type)]
            parent = data.draw(st.sampled_from(parents), label="parent")
            org_type = data.draw(
                st.sampled_from(child_types_allowed(parent.org_type)), label="type"
            )
            org = org_create(
                actor=actor, parent=parent, org_type=org_type, name=f"组织{step}", sector=S.OTHER
            )
            ids.append(org.pk)
        elif len(nodes) > 1:
            org = data.draw(st.sampled_from(nodes[1:]), label="org")
            # Mostly a parent whose type fits (so moves happen), sometimes any node at all.
            fitting = [n for n in nodes if org.org_type in child_types_allowed(n.org_type)]
            anywhere = data.draw(st.integers(0, 3), label="anywhere") == 0
            pool = nodes if anywhere or not fitting else fitting
            new_parent = data.draw(st.sampled_from(pool), label="new_parent")
            try:
                org_move(actor=actor, org=org, new_parent=new_parent)
            except ValidationError:
                continue  # refused moves (own subtree, same parent, structure) change nothing
            moved += 1
        assert_tree_consistent(root)
    event(f"moves done: {min(moved, 3)}{'+' if moved >= 3 else ''}")
    assert_tree_consistent(root)


@pytest.mark.django_db
def test_consistency_check_catches_a_broken_path(tree) -> None:
    """The checker itself is not vacuous."""
    Organization.objects.filter(pk=tree.group_a1.pk).update(path=tree.village_a2.path + "0001")
    with pytest.raises(AssertionError):
        assert_tree_consistent(tree.county)


@pytest.mark.django_db
def test_the_persona_tree_is_consistent(tree) -> None:
    assert_tree_consistent(tree.county)
