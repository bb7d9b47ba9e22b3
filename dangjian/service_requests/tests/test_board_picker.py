"""The dispatch board's 承办党员 picker: checkboxes with a search box, never "hold Ctrl"."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from dangjian.members.tests.factories import make_member
from dangjian.service_requests.tests.factories import drive

pytestmark = pytest.mark.django_db


def test_the_board_offers_a_touch_picker_not_a_ctrl_multi_select(login, people, fresh, doer, tree):
    other = make_member(people.county_admin, tree.village_a1, name="王立新")
    drive(fresh, "claimed", people=people, member=doer)
    html = login(people.village_secretary).get(reverse("service_requests:board")).content.decode()
    assert "Ctrl" not in html
    assert "<select" not in html.split('data-testid="members-')[1].split("</form>")[0]
    assert f'name="r{fresh.pk}-members"' in html  # the checkboxes post what the form reads
    island = re.search(r'<script id="dispatch-people" type="application/json">(.*?)</script>', html)
    assert island is not None
    people_offered = json.loads(island.group(1))
    # one branch: the names alone (the branch would repeat on every line)
    assert [doer.pk, "陈秀英", ""] in people_offered
    assert [other.pk, "王立新", ""] in people_offered


def test_a_township_picker_tells_members_of_the_same_name_apart_by_branch(
    login, people, fresh, doer, tree
):
    namesake = make_member(people.county_admin, tree.village_a2, name="陈秀英", male=False)
    drive(fresh, "claimed", people=people, member=doer)
    url = reverse("service_requests:board") + f"?org={tree.township_a.pk}"
    html = login(people.township_a).get(url).content.decode()
    island = re.search(r'<script id="dispatch-people" type="application/json">(.*?)</script>', html)
    assert island is not None
    offered = json.loads(island.group(1))
    assert [doer.pk, "陈秀英", "甲村党支部"] in offered
    assert [namesake.pk, "陈秀英", "乙村党支部"] in offered


def test_several_members_picked_by_checkbox_are_all_dispatched(login, people, fresh, doer, tree):
    other = make_member(people.county_admin, tree.village_a1, name="王立新")
    drive(fresh, "claimed", people=people, member=doer)
    login(people.village_secretary).post(
        reverse("service_requests:dispatch", args=[fresh.pk]),
        {"prefix": f"r{fresh.pk}", f"r{fresh.pk}-members": [doer.pk, other.pk], "next": "board"},
    )
    fresh.refresh_from_db()
    assert fresh.state == "dispatched"
    assert sorted(m.pk for m in fresh.members.all()) == sorted([doer.pk, other.pk])


def test_a_long_in_hand_list_says_it_is_cut_and_where_the_rest_is(login, people, grid, doer):
    from dangjian.service_requests.selectors import PAGE_SIZE
    from dangjian.service_requests.tests.factories import submit

    client = login(people.village_secretary)
    for _ in range(PAGE_SIZE):
        drive(submit(grid)[0], "dispatched", people=people, member=doer)
    assert (
        'data-testid="hand-more"'
        not in client.get(reverse("service_requests:board")).content.decode()
    )
    drive(submit(grid)[0], "dispatched", people=people, member=doer)
    html = client.get(reverse("service_requests:board")).content.decode()
    assert f"只列出前 {PAGE_SIZE} 条，其余在“全部诉求”中查看" in html
    assert reverse("service_requests:list") in html
