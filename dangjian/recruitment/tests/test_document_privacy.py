"""The recruitment Word documents do not let a secretary rebuild an applicant's ID number.

The 政审 document prints the applicant's 公民身份号码 beside the birth date and sex, and every
document prints the birth date or sex; the same property as the pages (members/tests/
id_privacy.py), over generated valid numbers, for every document a secretary without the reveal
right downloads.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from dangjian.members.tests.id_privacy import assert_not_recoverable, docx_strings, id_numbers
from dangjian.recruitment.models import DocumentKind
from dangjian.recruitment.tests.factories import make_applicant, sponsors, walk

# Each example walks an applicant through all 25 steps: a few examples are enough here.
PROPERTY = settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(sample=id_numbers(born_before=dt.date(2003, 12, 31)))
def test_no_recruitment_document_lets_a_secretary_rebuild_the_id_number(
    login, people, tree, sample
):
    number, birth, male = sample
    client = login(people.village_secretary)
    with transaction.atomic():
        elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
        applicant = make_applicant(
            people.village_secretary, tree.village_a1, name="孙丽", birth=birth, male=male,
            id_number=number, applied_on=dt.date(2022, 3, 1),
        )  # fmt: skip
        walk(people.township_a, applicant, upto=24, people=elders)
        for kind in DocumentKind.values:
            response = client.get(f"/recruitment/{applicant.pk}/documents/{kind}.docx")
            assert response.status_code == 200, kind
            texts = docx_strings(response.content)
            assert any("孙丽" in t for t in texts), kind
            assert_not_recoverable(
                texts,
                number=number,
                birth=birth,
                male=male,
                expect_mask=kind == DocumentKind.REVIEW,  # the 政审 document shows the mask
            )
        transaction.set_rollback(True)
