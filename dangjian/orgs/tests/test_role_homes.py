"""The home page per working role: organizers get the statistics and 换届提醒, a secretary
their branch's to-dos, a grid worker their grids' pool, a member their own meetings, points and
dues; the menus offer "API 令牌" only to roles that work with the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

TOKENS_LINK = 'href="/accounts/tokens/"'


def _home(login: Any, user: Any) -> str:
    response = login(user).get("/")
    assert response.status_code == 200
    return str(response.content.decode())


@pytest.mark.parametrize("persona", ["county_admin", "township_a", "inspector"])
def test_organizers_home_keeps_the_statistics_and_term_reminders(login, people, tree, persona):
    html = _home(login, getattr(people, persona))
    assert 'data-testid="home-counts"' in html
    assert "党组织（不含党小组）" in html
    assert 'data-testid="home-expiring"' in html
    assert "换届提醒" in html
    assert 'data-testid="home-member-stats"' in html
    assert 'data-testid="home-todo-slot"' in html
    assert 'data-testid="home-member"' not in html


def test_secretary_home_shows_the_branch_todos_not_the_county_statistics(login, people, tree):
    html = _home(login, people.village_secretary)
    assert 'data-testid="home-todo-slot"' in html
    assert 'data-testid="home-member-alerts"' in html  # the branch's roll warnings
    assert 'data-testid="home-counts"' not in html
    assert "党组织（不含党小组）" not in html
    assert "换届提醒" not in html
    assert "党支部领域分布" not in html
    assert 'data-testid="home-grid-slot"' not in html


def test_grid_worker_home_shows_the_grid_pool_and_nothing_of_the_tree(login, people, tree):
    html = _home(login, people.grid_worker)
    assert 'data-testid="home-grid-slot"' in html
    assert reverse("service_requests:home_card") in html
    assert 'data-testid="home-todo-slot"' in html
    assert 'data-testid="home-counts"' not in html
    assert "党组织（不含党小组）" not in html
    assert "换届提醒" not in html
    assert "直属下级组织" not in html


def test_member_home_shows_own_meetings_points_and_dues_only(login, people, tree):
    html = _home(login, people.member)
    assert 'data-testid="home-member"' in html
    for name in ("points:home_card", "dues:home_card", "meetings:home_card"):
        assert reverse(name) in html
    assert 'data-testid="home-counts"' not in html
    assert "党组织（不含党小组）" not in html
    assert "换届提醒" not in html
    assert 'data-testid="home-grid-slot"' not in html
    assert 'data-testid="home-todo-slot"' not in html


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("county_admin", True),
        ("township_a", True),
        ("village_secretary", True),
        ("inspector", True),
        ("member", False),
        ("grid_worker", False),
    ],
)
def test_the_api_token_menu_item_is_offered_only_to_roles_that_use_the_api(
    login, people, tree, persona, offered
):
    html = _home(login, getattr(people, persona))
    # the sidebar and the user menu both follow the rule
    assert html.count(TOKENS_LINK) == (2 if offered else 0)
    assert ("API 令牌" in html) is offered


def test_the_tokens_page_stays_gated_as_before_for_a_member(login, people, tree):
    # Hidden from the menu is not forbidden: a member may still open it (and revoke a token).
    assert login(people.member).get("/accounts/tokens/").status_code == 200


def _linked_member(people: Any, tree: Any) -> Member:
    m = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=m.pk).update(user=people.member)
    return m


def test_member_home_cards_show_the_members_own_figures(login, people, tree):
    _linked_member(people, tree)
    client = login(people.member)
    points = client.get(reverse("points:home_card")).content.decode()
    assert 'data-testid="home-my-points"' in points
    assert "我的积分" in points
    dues = client.get(reverse("dues:home_card")).content.decode()
    assert 'data-testid="home-my-dues"' in dues
    meetings = client.get(reverse("meetings:home_card")).content.decode()
    assert 'data-testid="home-my-meetings"' in meetings
    assert "近一年没有应参加的会议" in meetings


def test_member_home_cards_are_empty_without_a_member_record(login, people, tree):
    client = login(people.inspector)
    for name in ("points:home_card", "dues:home_card", "meetings:home_card"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response.content.decode().strip() == ""


def test_grid_home_card_is_for_those_who_handle_requests(login, people, tree):
    from dangjian.grid.tests.factories import make_grid
    from dangjian.service_requests.tests.factories import submit

    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    submit(grid)
    submit(grid)
    html = login(people.grid_worker).get(reverse("service_requests:home_card")).content.decode()
    assert 'data-testid="home-pool-total">2<' in html
    assert "第一网格" in html
    assert login(people.member).get(reverse("service_requests:home_card")).status_code == 403
