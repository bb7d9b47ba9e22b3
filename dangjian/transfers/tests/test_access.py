"""Who sees a transfer (both sides) and which actions each persona gets, across personas."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.transfers.access import access_transfer_by_id, transfer_actions, transfers_visible_to
from dangjian.transfers.tests.factories import approved, make_member, request

pytestmark = pytest.mark.django_db

# A1 → B1 crosses townships; A2 → bureau stays away from B and from village A1.
SEES_A1_TO_B1 = {
    "county_admin": True,
    "township_a": True,
    "township_b": True,
    "village_secretary": True,
    "inspector": True,
    "member": False,
    "grid_worker": False,
    "nobody": False,
}
SEES_A2_TO_BUREAU = SEES_A1_TO_B1 | {"township_b": False, "village_secretary": False}


@pytest.fixture
def two_transfers(people, tree, member_a1):  # type: ignore[no-untyped-def]
    cross = request(people.village_secretary, member_a1, tree.village_b1)
    other = make_member(people.county_admin, tree.village_a2, name="孙强")
    inside = request(people.township_a, other, tree.bureau)
    return cross, inside


@pytest.mark.parametrize("who", sorted(SEES_A1_TO_B1))
def test_both_sides_see_a_transfer_and_nobody_else(people, two_transfers, who):
    cross, inside = two_transfers
    viewer = getattr(people, who)
    visible = set(transfers_visible_to(viewer).values_list("pk", flat=True))
    assert (cross.pk in visible) is SEES_A1_TO_B1[who]
    assert (inside.pk in visible) is SEES_A2_TO_BUREAU[who]
    for t, sees in ((cross, SEES_A1_TO_B1[who]), (inside, SEES_A2_TO_BUREAU[who])):
        if sees:
            assert access_transfer_by_id(viewer, t.pk).pk == t.pk
        else:
            with pytest.raises(Http404):
                access_transfer_by_id(viewer, t.pk)


def test_missing_and_hidden_transfers_look_the_same(people, two_transfers):
    _, inside = two_transfers
    with pytest.raises(Http404) as hidden:
        access_transfer_by_id(people.township_b, inside.pk)
    with pytest.raises(Http404) as missing:
        access_transfer_by_id(people.township_b, 999999)
    assert str(hidden.value) == str(missing.value)


REQUESTED_ACTIONS = {
    "county_admin": {"approve", "return", "revoke"},
    "township_a": {"approve", "return", "revoke"},
    "village_secretary": {"revoke"},
    "township_b": set(),
    "inspector": set(),
    "member": set(),
}
APPROVED_ACTIONS = {
    "county_admin": {"accept", "return", "revoke"},
    "township_a": {"return", "revoke"},
    "village_secretary": {"revoke"},
    "township_b": {"accept", "return"},
    "inspector": set(),
    "member": set(),
}


@pytest.mark.parametrize("who", sorted(REQUESTED_ACTIONS))
def test_actions_on_a_request(people, tree, member_a1, who):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    today = timezone.localdate()
    assert transfer_actions(getattr(people, who), t, today=today) == REQUESTED_ACTIONS[who]


@pytest.mark.parametrize("who", sorted(APPROVED_ACTIONS))
def test_actions_on_an_issued_letter(people, tree, member_a1, who):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    today = timezone.localdate()
    assert transfer_actions(getattr(people, who), t, today=today) == APPROVED_ACTIONS[who]


def test_no_accept_button_after_the_last_valid_day(people, tree, member_a1):
    import datetime as dt

    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    assert "accept" in transfer_actions(people.township_b, t, today=t.valid_until)
    later = t.valid_until + dt.timedelta(days=1)
    assert "accept" not in transfer_actions(people.township_b, t, today=later)
