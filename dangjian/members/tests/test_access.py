"""Who sees which members, and masked values everywhere for roles without the reveal right."""

from __future__ import annotations

import pytest

from dangjian.core.models import AuditLog
from dangjian.members.access import members_visible_to
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def roll(people, tree):
    return {
        "a1": make_member(people.county_admin, tree.village_a1, name="张伟"),
        "a2": make_member(people.county_admin, tree.village_a2, name="王芳", male=False),
        "b1": make_member(people.county_admin, tree.village_b1, name="李强"),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("county_admin", {"a1", "a2", "b1"}),
        ("township_a", {"a1", "a2"}),
        ("township_b", {"b1"}),
        ("village_secretary", {"a1"}),
        ("inspector", {"a1", "a2", "b1"}),
        ("member", set()),
        ("grid_worker", set()),
        ("nobody", set()),
    ],
)
def test_visible_members_per_persona(people, roll, persona, expected):
    seen = set(members_visible_to(getattr(people, persona)).values_list("id", flat=True))
    assert seen == {roll[k].pk for k in expected}


@pytest.mark.parametrize(
    ("persona", "key", "status"),
    [
        ("village_secretary", "a1", 200),
        ("village_secretary", "a2", 404),
        ("township_a", "b1", 404),
        ("township_b", "b1", 200),
        ("member", "a1", 404),
        ("inspector", "b1", 200),
    ],
)
def test_profile_page_matrix(login, people, roll, persona, key, status):
    assert login(getattr(people, persona)).get(f"/members/{roll[key].pk}/").status_code == status


@pytest.mark.parametrize(
    ("persona", "key", "status"),
    [
        ("village_secretary", "a1", 200),
        ("township_b", "a1", 404),
        ("member", "a1", 404),
        ("inspector", "a1", 200),
    ],
)
def test_api_detail_matrix(login, people, roll, persona, key, status):
    assert (
        login(getattr(people, persona)).get(f"/api/v1/members/{roll[key].pk}").status_code == status
    )


def test_list_detail_and_api_are_masked(login, people, roll):
    from dangjian.core import crypto

    member = roll["a1"]
    full_id = crypto.decrypt(member.id_number_enc)
    client = login(people.village_secretary)
    for url in (
        "/members/",
        f"/members/{member.pk}/",
        f"/api/v1/members/{member.pk}",
        "/api/v1/members/",
    ):
        body = client.get(url).content.decode()
        assert member.id_number_masked in body, url
        assert full_id not in body, url


def test_secretary_cannot_reveal(login, people, roll):
    response = login(people.village_secretary).post(f"/members/{roll['a1'].pk}/reveal/")
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action="member.reveal").exists()


def test_township_worker_reveals_and_it_is_audited(login, people, roll):
    from dangjian.core import crypto

    member = roll["a1"]
    response = login(people.township_a).post(f"/members/{member.pk}/reveal/")
    assert crypto.decrypt(member.id_number_enc) in response.content.decode()
    assert (
        AuditLog.objects.filter(
            action="member.reveal", actor=people.township_a, object_id=str(member.pk)
        ).count()
        == 1
    )


def test_api_reveal_outside_scope_is_404_and_not_audited(login, people, roll):
    response = login(people.township_a).post(f"/api/v1/members/{roll['b1'].pk}/reveal")
    assert response.status_code == 404
    assert not AuditLog.objects.filter(action="member.reveal").exists()
