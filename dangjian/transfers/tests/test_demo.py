"""The demo seed of transfers: through the services, as the demo users, in varied states."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.demo.transfers import seed_transfers
from dangjian.members import rollups
from dangjian.members.models import MemberPlacement
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_without_members_nothing_is_seeded(people, tree):
    assert seed_transfers(today=timezone.localdate()) == 0


def test_seed_makes_transfers_in_every_state(people, tree):
    for i in range(4):
        make_member(people.county_admin, tree.village_a1, name=f"甲村党员{i}")
    for i in range(6):
        make_member(people.county_admin, tree.village_a2, name=f"乙村党员{i}")
    made = seed_transfers(today=timezone.localdate())
    assert made == 8
    # One was accepted months ago: the placement history moved on its 回执 date.
    earlier = Transfer.objects.filter(state="accepted").order_by("received_on").first()
    assert earlier is not None
    assert earlier.received_on < timezone.localdate()
    assert list(
        MemberPlacement.objects.filter(member_id=earlier.member_id)
        .order_by("since")
        .values_list("branch_id", "until")
    ) == [(earlier.from_branch_id, earlier.received_on), (earlier.to_branch_id, None)]
    states = set(Transfer.objects.values_list("state", flat=True))
    assert states == {"requested", "approved", "accepted", "returned", "revoked", "expired"}
    assert Transfer.objects.filter(kind="outbound").exists()
    assert Transfer.objects.filter(requested_by__username="village_secretary").exists()
    assert rollups.reconcile().is_clean
