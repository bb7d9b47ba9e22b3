"""Who sees and who records: every persona against one applicant of 甲村 (a hidden row is a
404, a visible row without the right is a 403, and a denied write changes nothing)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.recruitment.models import Applicant, StepRecord
from dangjian.recruitment.tests.factories import make_applicant

pytestmark = pytest.mark.django_db

SEE = {
    "county_admin": 200, "township_a": 200, "township_b": 404, "village_secretary": 200,
    "member": 404, "grid_worker": 404, "inspector": 200, "nobody": 404,
}  # fmt: skip
WRITE = {
    "county_admin": 302, "township_a": 302, "township_b": 404, "village_secretary": 302,
    "member": 404, "grid_worker": 404, "inspector": 403, "nobody": 404,
}  # fmt: skip


@pytest.fixture
def applicant(tree, people) -> Applicant:
    return make_applicant(
        people.village_secretary, tree.village_a1, applied_on=dt.date(2026, 10, 1)
    )


@pytest.mark.parametrize("persona", SEE)
def test_seeing_an_applicant(login, people, applicant, persona) -> None:
    client = login(getattr(people, persona))
    assert client.get(f"/recruitment/{applicant.pk}/").status_code == SEE[persona]
    api = client.get(f"/api/v1/recruitment/applicants/{applicant.pk}")
    assert api.status_code == SEE[persona]


@pytest.mark.parametrize("persona", WRITE)
def test_recording_a_step(login, people, applicant, persona) -> None:
    client = login(getattr(people, persona))
    response = client.post(
        f"/recruitment/{applicant.pk}/steps/", {"number": 2, "done_on": "2026-10-10"}
    )
    assert response.status_code == WRITE[persona]
    written = StepRecord.objects.filter(applicant=applicant, number=2).exists()
    assert written == (WRITE[persona] == 302)


@pytest.mark.parametrize("persona", ["township_b", "inspector", "member"])
def test_lists_hold_only_the_scope(login, people, applicant, persona) -> None:
    data = login(getattr(people, persona)).get("/api/v1/recruitment/applicants").json()
    ids = [a["id"] for a in data["items"]]
    assert (applicant.pk in ids) == (SEE[persona] == 200)
