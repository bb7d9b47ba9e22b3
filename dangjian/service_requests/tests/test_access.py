"""Who sees a request: every persona against a request in 甲村 (township A)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.service_requests.tests.factories import drive, submit

pytestmark = pytest.mark.django_db

EXPECTED = {
    "county_admin": 200,
    "township_a": 200,
    "township_b": 404,
    "village_secretary": 200,
    "member": 404,  # not (yet) dispatched to them
    "grid_worker": 200,
    "inspector": 200,
    "nobody": 404,
}


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_detail_page_and_api_across_personas(login, people, fresh, persona, status):
    client = login(getattr(people, persona))
    assert client.get(reverse("service_requests:detail", args=[fresh.pk])).status_code == status
    assert client.get(f"/api/v1/requests/{fresh.pk}").status_code == status
    listed = client.get("/api/v1/requests/").json().get("items", [])
    assert (fresh.pk in [r["id"] for r in listed]) == (status == 200)


def test_a_dispatched_member_sees_their_order_only(login, people, fresh, doer, grid):
    other, token = submit(grid)
    drive(fresh, "dispatched", people=people, member=doer)
    client = login(people.member)
    assert client.get(reverse("service_requests:detail", args=[fresh.pk])).status_code == 200
    assert client.get(reverse("service_requests:detail", args=[other.pk])).status_code == 404
    assert people.member.notifications.filter(title__contains=fresh.tracking_code).exists()


def test_the_api_list_runs_a_constant_number_of_queries(
    login, people, grid, doer, django_assert_max_num_queries
):
    client = login(people.township_a)
    for _ in range(2):
        submit(grid)
    with django_assert_max_num_queries(20) as small:
        assert client.get("/api/v1/requests/").status_code == 200
    for _ in range(10):
        submit(grid)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/api/v1/requests/")
