"""The branch ledger a page at a time: on a phone each member is a card with its own 登记 form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dangjian.dues import views
from dangjian.dues.tests.test_views import roll

__all__ = ["roll"]  # a fixture

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="due-(\d+)"', html)


def test_the_ledger_pages_and_keeps_the_branch_totals(
    login: Any, people: Any, tree: Any, roll: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "LEDGER_PAGE_SIZE", 2)
    c = login(people.village_secretary)
    first = c.get("/dues/").content.decode()
    assert len(_rows(first)) == 2
    assert "显示前 2 人，共 3 人 — 翻页查看全部 · 第 1/2 页" in first
    assert "（全支部）" in first  # the 合计 row sums the branch, not the page
    second = c.get("/dues/?page=2").content.decode()
    assert len(_rows(second)) == 1
    assert sorted(_rows(first) + _rows(second)) == sorted(str(m.pk) for m in roll[:3])
    # every row on the page carries its own 登记 form (the card's control on a phone)
    assert first.count('data-testid="pay-form"') == 2


def test_a_short_ledger_is_one_page_without_paging_links(
    login: Any, people: Any, tree: Any, roll: Any
) -> None:
    html = login(people.village_secretary).get("/dues/").content.decode()
    assert 'data-testid="pager-extent">共 3 人<' in html
    assert 'data-testid="pager-next"' not in html
    assert "（全支部）" not in html
