"""Who sees which points pages across the personas (a row out of scope is a 404)."""

from __future__ import annotations

import pytest

from dangjian.points.tests.factories import roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db

# persona → status of the village A1 board, of 陈秀英's passbook as seen by staff
CASES = {
    "county_admin": (200, 200),
    "township_a": (200, 200),
    "township_b": (404, 404),
    "village_secretary": (200, 200),
    "member": (403, 200),  # the member's own passbook
    "grid_worker": (403, 404),
    "inspector": (200, 200),
    "nobody": (404, 404),
}


@pytest.mark.parametrize(("who", "expected"), sorted(CASES.items()))
def test_board_and_member_passbook_across_personas(login, people, tree, roll, who, expected):
    c = login(getattr(people, who))
    board = c.get(f"/points/board/?org={tree.village_a1.pk}").status_code
    book = c.get(f"/points/member/{roll.me.pk}/").status_code
    assert (board, book) == expected


@pytest.mark.parametrize("who", ["township_b", "grid_worker", "nobody", "member"])
def test_api_passbook_of_another_member_is_404(login, people, roll, who):
    r = login(getattr(people, who)).get(f"/api/v1/points/members/{roll.others[0].pk}/passbook")
    assert r.status_code == 404


def test_inspector_reads_but_cannot_award(login, people, tree, roll):
    from dangjian.points.tests.factories import default_item

    r = login(people.inspector).post(
        "/api/v1/points/entries",
        {"member_id": roll.me.pk, "item_id": default_item("role_model").pk,
         "on": "2026-11-02", "reason": "x"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 403


def test_a_member_sees_the_own_branch_board_without_links(login, people, tree, roll):
    c = login(people.member)
    r = c.get("/points/board/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "王立新" in body
    assert "/points/member/" not in body  # no passbooks of others
    assert c.get(f"/points/board/?org={tree.village_a1.pk}").status_code == 403
