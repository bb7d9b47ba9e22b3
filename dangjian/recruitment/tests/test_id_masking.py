"""An applicant's 公民身份号码 cannot be rebuilt from the recruitment pages and API.

The same property as the member surfaces (members/tests/id_privacy.py): over generated valid
numbers, birth dates and sexes, what a secretary (no reveal right) is shown leaves at least
``MIN_CANDIDATES`` numbers, no mask shows the last four characters, the full number nowhere.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from dangjian.members.tests.id_privacy import assert_not_recoverable, id_numbers, json_strings
from dangjian.recruitment import services

PROPERTY = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(sample=id_numbers(born_before=dt.date(2006, 1, 1)))
def test_applicant_pages_and_api_cannot_be_used_to_rebuild_the_id_number(
    login, people, tree, sample
):
    number, birth, male = sample
    client = login(people.village_secretary)
    with transaction.atomic():
        applicant = services.applicant_create(
            actor=people.village_secretary,
            org=tree.village_a1,
            data={"name": "王小明", "id_number": number, "ethnicity": "01", "education": "21",
                  "job": "1", "applied_on": dt.date(2025, 3, 1)},
        )  # fmt: skip
        texts = []
        for url in (f"/recruitment/{applicant.pk}/", "/recruitment/"):
            page = client.get(url, {"org": tree.village_a1.pk})
            assert page.status_code == 200
            texts.append(page.content.decode())
        for url in (
            "/api/v1/recruitment/applicants",
            f"/api/v1/recruitment/applicants/{applicant.pk}",
        ):
            response = client.get(url)
            assert response.status_code == 200
            texts += json_strings(response.content)
        assert str(birth.year) in texts[0]  # the birth date is on the page beside the mask
        assert_not_recoverable(texts, number=number, birth=birth, male=male)
        transaction.set_rollback(True)
