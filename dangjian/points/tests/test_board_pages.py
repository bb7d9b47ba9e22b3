"""张榜 a page at a time: a phone shows one card per member, so the board pages by 20."""

from __future__ import annotations

import re

import pytest

from dangjian.members.tests.factories import make_member
from dangjian.points import views
from dangjian.points.tests.factories import roll

__all__ = ["roll"]  # a fixture

pytestmark = pytest.mark.django_db


def _names(html: str) -> list[str]:
    return re.findall(r'data-member="(\d+)"', html)


def test_the_board_pages_and_every_member_is_on_exactly_one_page(
    login, people, tree, roll, monkeypatch
):
    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 4)
    c = login(people.county_admin)
    first = c.get(f"/points/board/?org={tree.county.pk}").content.decode()
    assert "显示前 4 人，共 7 人 — 翻页查看全部 · 第 1/2 页" in first
    assert 'data-testid="pager-next"' in first
    second = c.get(f"/points/board/?org={tree.county.pk}&page=2").content.decode()
    assert "本页 3 人，共 7 人 · 第 2/2 页" in second
    assert 'data-testid="pager-next"' not in second
    shown = _names(first) + _names(second)
    expected = [roll.me.pk, roll.outsider.pk, *(m.pk for m in roll.others)]
    assert sorted(shown) == sorted(str(pk) for pk in expected)


def test_numbering_continues_on_the_next_page_when_the_board_is_not_ranked(
    login, people, tree, roll, monkeypatch
):
    for name in ("赵敏", "钱进"):  # three in 丙村: too few to rank, numbered instead
        make_member(people.county_admin, tree.village_b1, name=name)
    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    c = login(people.county_admin)
    html = c.get(f"/points/board/?org={tree.village_b1.pk}&page=2").content.decode()
    assert "不排名次" in html
    assert re.findall(r'<td class="tc-rank">(\d+)</td>', html) == ["3"]


def test_a_county_board_says_where_each_member_is(login, people, tree, roll):
    html = login(people.county_admin).get(f"/points/board/?org={tree.county.pk}").content.decode()
    # the place of 孙丽 (丙村, under 乙镇) as the queues write it
    assert re.search(r'data-testid="board-place">乙镇党委 › 丙村党支部<', html)
    assert re.search(r'data-testid="board-place">甲镇党委 › 甲村党支部<', html)


def test_a_branch_board_on_its_own_has_no_place_column(login, people, tree, roll):
    html = login(people.county_admin).get(f"/points/board/?org={tree.village_a1.pk}")
    assert 'data-testid="board-place"' not in html.content.decode()
