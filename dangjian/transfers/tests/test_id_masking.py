"""The transfer letter (page and Word file) and the transfer page do not let a viewer without
the reveal right rebuild the member's ID number (members/tests/id_privacy.py).

The letter prints sex and age beside the 公民身份号码; the page shows the mask beside the name.
Over generated valid numbers, birth dates and sexes, what the branch secretary (no reveal right)
and the receiving township's worker (no reveal right over township A) are shown leaves at
least ``MIN_CANDIDATES`` numbers, no mask shows the last four characters, the full number
nowhere.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from dangjian.members.tests.id_privacy import assert_not_recoverable, docx_strings, id_numbers
from dangjian.transfers.tests.factories import approved, make_member

PROPERTY = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Joined the party in 2005 (the factory's date), so born at least 18 years before.
SAMPLES = id_numbers(born_before=dt.date(1986, 12, 31))


def _transfer(people, tree, number, birth, male):  # type: ignore[no-untyped-def]
    member = make_member(
        people.county_admin, tree.village_a1, name="李明", id_number=number,
        birth_date=birth, male=male,
    )  # fmt: skip
    return approved(people.village_secretary, people.township_a, member, tree.village_b1)


@PROPERTY
@given(sample=SAMPLES)
def test_the_letter_page_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    number, birth, male = sample
    with transaction.atomic():
        t = _transfer(people, tree, number, birth, male)
        for viewer in (people.village_secretary, people.township_b):
            response = login(viewer).get(f"/transfers/{t.pk}/letter/")
            assert response.status_code == 200
            html = response.content.decode()
            assert "岁" in html  # the age is printed beside the mask
            assert_not_recoverable([html], number=number, birth=birth, male=male)
        transaction.set_rollback(True)


@PROPERTY
@given(sample=SAMPLES)
def test_the_word_letter_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    number, birth, male = sample
    with transaction.atomic():
        t = _transfer(people, tree, number, birth, male)
        for viewer in (people.village_secretary, people.township_b):
            response = login(viewer).get(f"/transfers/{t.pk}/letter.docx")
            assert response.status_code == 200
            texts = docx_strings(response.content)
            assert any("李明同志（" in text for text in texts)
            assert_not_recoverable(texts, number=number, birth=birth, male=male)
        transaction.set_rollback(True)


@PROPERTY
@given(sample=SAMPLES)
def test_the_transfer_page_cannot_be_used_to_rebuild_the_id_number(login, people, tree, sample):
    number, birth, male = sample
    with transaction.atomic():
        t = _transfer(people, tree, number, birth, male)
        for viewer in (people.village_secretary, people.township_b):
            response = login(viewer).get(f"/transfers/{t.pk}/")
            assert response.status_code == 200
            assert_not_recoverable(
                [response.content.decode()], number=number, birth=birth, male=male
            )
        transaction.set_rollback(True)
