"""待办事项 on the home page: what waits for each persona, gathered from every capability."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from dangjian.core import todo
from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.recruitment.tests.factories import make_applicant
from dangjian.service_requests.tests.factories import drive, submit

URL = "/orgs/todo/"


def _items(client) -> dict[str, str]:
    html = client.get(URL).content.decode()
    pairs = re.findall(r'todo-count">([^<]+)</span>\s*<span class="flex-fill">([^<]+?)\s*<', html)
    return {label: shown for shown, label in pairs}


def test_todos_drop_empty_items_and_list_the_overdue_first(monkeypatch):
    monkeypatch.setattr(todo, "_PROVIDERS", {})
    todo.register(
        "a", lambda **kw: [todo.Todo("甲", "普通", 2, "/a/"), todo.Todo("甲", "空", 0, "/")]
    )
    todo.register("b", lambda **kw: [todo.Todo("乙", "超期", 1, "/b/", urgent=True)])
    items = todo.todos_for(viewer=None, org=None, today=dt.date(2026, 11, 21))
    assert [t.label for t in items] == ["超期", "普通"]


def test_a_count_past_the_cap_shows_as_99_plus():
    assert todo.Todo("甲", "多", todo.COUNT_CAP + 1, "/").shown == "99+"
    assert todo.Todo("甲", "少", todo.COUNT_CAP, "/").shown == "99"


@pytest.mark.django_db
def test_capped_counts_no_further_than_the_cap(tree, people):
    for i in range(3):
        make_member(people.county_admin, tree.village_a1, name=f"党员{i}")
    assert todo.capped(Member.objects.all()) == 3
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(todo, "COUNT_CAP", 1)
        assert todo.capped(Member.objects.all()) == 2


@pytest.mark.django_db
def test_each_persona_sees_the_work_that_waits_for_them(client, tree, people, login):
    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    doer = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=doer.pk).update(user=people.member)
    doer.refresh_from_db()
    submit(grid)  # in the pool
    claimed, _ = submit(grid, description="垃圾没人清运")
    drive(claimed, "claimed", people=people, member=doer)
    dispatched, _ = submit(grid, description="独居老人需要代办医保")
    drive(dispatched, "dispatched", people=people, member=doer)
    # Applied more than a month ago and nobody has talked to the applicant: overdue.
    make_applicant(
        people.village_secretary,
        tree.village_a1,
        applied_on=timezone.localdate() - dt.timedelta(days=60),
    )

    login(people.grid_worker)
    assert _items(client)["网格待领单"] == "1"

    login(people.member)
    assert _items(client) == {"我承办的诉求": "1"}

    login(people.village_secretary)
    mine = _items(client)
    assert mine["诉求待派单"] == "1"
    assert mine["发展党员步骤超期未办"] == "1"
    html = client.get(URL).content.decode()
    assert html.index("发展党员步骤超期未办") < html.index("诉求待派单")  # overdue first

    login(people.township_b)  # another township: none of it is theirs
    assert "诉求待派单" not in _items(client)
    assert "发展党员步骤超期未办" not in _items(client)


@pytest.mark.django_db
def test_nothing_waiting_says_so(client, people, login):
    login(people.inspector)
    page = client.get(URL)
    assert page.status_code == 200
    assert "暂无待办事项" in page.content.decode()


@pytest.mark.django_db
def test_the_todo_card_costs_a_bounded_number_of_queries(
    client, tree, people, login, django_assert_max_num_queries
):
    login(people.county_admin)
    with django_assert_max_num_queries(20):
        assert client.get(URL).status_code == 200


def test_the_todo_card_needs_a_login(client):
    assert client.get(URL).status_code == 302
