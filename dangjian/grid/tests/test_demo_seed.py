"""The demo grid data on the persona county: shape, rule limits, scoping, concentration."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core import crypto
from dangjian.core.paths import is_within
from dangjian.demo.grid import MEDIATIONS, OPINIONS, WORTHIES, seed_grid, seed_grid_rows
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
)
from dangjian.grid.rules import grid_rules_for
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tree, people):
    for village in (tree.village_a1, tree.village_a2, tree.village_b1):
        for i in range(25):
            make_member(people.county_admin, village, name=f"{village.short_name[:2]}党员{i}")
    me = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    me.user = people.member
    me.save()
    return seed_grid_rows(rng_seed=7, today=timezone.localdate(), scale="county")


def test_demo_member_is_an_anchor_household(seeded, people):
    anchor = AnchorHousehold.objects.get(member__user=people.member)
    assert HouseholdLink.objects.filter(anchor=anchor).exists()


def test_grids_households_and_workers(seeded, tree, people):
    grids = Grid.objects.all()
    assert 9 <= grids.count() <= 18
    assert seeded["grid.Grid"] == grids.count()
    assert {g.org_id for g in grids} == {tree.village_a1.pk, tree.village_a2.pk, tree.village_b1.pk}
    sizes = Household.objects.values("grid").annotate(n=Count("pk")).values_list("n", flat=True)
    assert all(20 <= n <= 40 for n in sizes)
    # the demo grid worker works in township A's villages only
    mine = set(Grid.objects.filter(workers=people.grid_worker).values_list("org_id", flat=True))
    assert mine == {tree.village_a1.pk, tree.village_a2.pk}
    assert all(g.workers.exists() for g in grids)


def test_phones_are_encrypted_and_masked(seeded):
    with_phone = Household.objects.exclude(phone_enc="")
    assert 0.5 < with_phone.count() / Household.objects.count() < 0.9
    h = with_phone.first()
    number = crypto.decrypt(h.phone_enc)
    assert h.phone_masked == number[:3] + "****" + number[-4:]
    assert h.phone_hash == crypto.lookup_hash(number)


def test_links_respect_rules_and_villages(seeded, tree):
    rules = grid_rules_for(tree.county.path, timezone.localdate())
    per_member = Counter(HouseholdLink.objects.values_list("member_id", flat=True))
    assert per_member
    assert max(per_member.values()) <= rules.links_per_member_max
    per_anchor = Counter(
        HouseholdLink.objects.exclude(anchor=None).values_list("anchor_id", flat=True)
    )
    assert max(per_anchor.values()) <= rules.households_per_anchor_max
    for link in HouseholdLink.objects.select_related("member", "household"):
        assert is_within(link.member.org_path, link.household.org_path)


def test_records_concentrate_in_township_a(seeded, tree):
    assert OpinionRecord.objects.count() == OPINIONS
    assert Mediation.objects.count() == MEDIATIONS
    assert LocalWorthy.objects.count() == WORTHIES
    in_a = OpinionRecord.objects.filter(org_path__startswith=tree.township_a.path).count()
    assert in_a > OPINIONS * 0.4
    today = timezone.localdate()
    assert not OpinionRecord.objects.filter(collected_on__gt=today).exists()
    statuses = Counter(OpinionRecord.objects.values_list("status", flat=True))
    assert statuses["resolved"] > statuses["replied"] > 0
    outcomes = Counter(Mediation.objects.values_list("outcome", flat=True))
    assert outcomes["success"] > MEDIATIONS * 0.6
    for m in Mediation.objects.prefetch_related("worthies"):
        for w in m.worthies.all():
            assert w.is_active
            assert w.org.parent_id == m.org.parent_id  # a 乡贤 of the same township


def test_seed_is_idempotent_and_skips_province(seeded):
    assert seed_grid(rng_seed=7, today=timezone.localdate(), scale="county") == 0
    assert seed_grid(rng_seed=7, today=timezone.localdate(), scale="province") == 0
