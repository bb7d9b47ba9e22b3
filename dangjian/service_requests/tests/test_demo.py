"""The demo year of requests: consistent with the transition table and the counting rules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.demo.service_requests import seed_service_requests
from dangjian.grid.tests.factories import make_grid
from dangjian.members.tests.factories import make_member
from dangjian.service_requests import rules
from dangjian.service_requests.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tree, people):
    for org in (tree.village_a1, tree.village_a2, tree.village_b1):
        make_member(people.county_admin, org, name="王强")
        for name in ("第一网格", "第二网格"):
            make_grid(org, name, workers=[people.grid_worker] if org != tree.village_b1 else [])
    return seed_service_requests(rng_seed=7, today=timezone.localdate(), scale="county")


def test_the_demo_writes_a_year_in_many_states(seeded):
    assert seeded == ServiceRequest.objects.count() > 60
    states = set(ServiceRequest.objects.values_list("state", flat=True))
    assert {"closed", "closed_unresolved"} <= states
    assert len(states) >= 5
    oldest = ServiceRequest.objects.order_by("submitted_at").first()
    assert (timezone.now() - oldest.submitted_at).days > 200


def test_every_demo_history_step_is_in_the_transition_table(seeded):
    pairs = rules.allowed_pairs()
    steps = RequestEvent.objects.exclude(action="submit").values_list("from_state", "to_state")
    assert steps
    assert all(p in pairs for p in steps)
    for req in ServiceRequest.objects.all()[:50]:
        assert req.events.order_by("id").last().to_state == req.state


def test_demo_counts_follow_the_rules(seeded):
    assert not ServiceRequest.objects.filter(
        state="closed_unresolved", solved_at__isnull=False
    ).exists()
    assert not ServiceRequest.objects.filter(rating="not_rated", rated_at__isnull=False).exists()
    assert ServiceRequest.objects.filter(rating="not_rated").exists()
    assert not ServiceRequest.objects.filter(reopen_count__gt=2).exists()


def test_the_demo_runs_once_and_not_at_province_scale(seeded):
    assert seed_service_requests(rng_seed=7, today=timezone.localdate(), scale="county") == 0
    assert seed_service_requests(rng_seed=7, today=timezone.localdate(), scale="province") == 0


def test_demo_histories_run_forward_in_time(seeded):
    last: dict[int, object] = {}
    for rid, at in RequestEvent.objects.order_by("request_id", "id").values_list(
        "request_id", "created_at"
    ):
        assert rid not in last or last[rid] <= at, rid
        last[rid] = at
