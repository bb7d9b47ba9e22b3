"""A household head's 公民身份号码 cannot be rebuilt from the grid pages, API or export.

The same property as the member surfaces (members/tests/id_privacy.py), with the worst case
assumed: the viewer knows the head's birth date and sex from elsewhere.
"""

from __future__ import annotations

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.tests.id_privacy import (
    assert_not_recoverable,
    id_numbers,
    json_strings,
    workbook_strings,
)

PROPERTY = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(sample=id_numbers())
def test_household_page_api_and_export_cannot_be_used_to_rebuild_the_id_number(
    login, people, tree, sample
):
    number, birth, male = sample
    client = login(people.village_secretary)
    with transaction.atomic():
        grid = make_grid(tree.village_a1)
        household = make_household(grid, head_id=number)
        texts = []
        page = client.get(f"/grid/households/{household.pk}/")
        assert page.status_code == 200
        texts.append(page.content.decode())
        api = client.get(f"/api/v1/grid/households/{household.pk}")
        assert api.status_code == 200
        texts += json_strings(api.content)
        export = client.get("/grid/households/export.xlsx")
        assert export.status_code == 200
        texts += workbook_strings(export.content)
        assert_not_recoverable(texts, number=number, birth=birth, male=male)
        transaction.set_rollback(True)
