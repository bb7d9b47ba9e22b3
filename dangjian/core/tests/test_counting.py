"""Paging a bounded list: which rows, which words, which neighbours."""

from __future__ import annotations

from django.http import QueryDict

from dangjian.core.counting import CappedCount, list_page

ROWS = list(range(45))


def _page(query: str, **kw):  # type: ignore[no-untyped-def]
    return list_page(ROWS, params=QueryDict(query), per_page=20, unit="条", **kw)


def test_the_first_page_says_how_many_and_how_to_see_the_rest():
    page = _page("org=5")
    assert page.rows == list(range(20))
    assert page.extent.text == "显示前 20 条，共 45 条 — 翻页查看全部"
    assert page.prev_query == ""
    assert QueryDict(page.next_query).dict() == {"org": "5", "page": "2"}
    assert (page.number, page.pages, page.offset) == (1, 3, 0)


def test_the_last_page_holds_the_rest_and_has_no_next():
    page = _page("org=5&page=3")
    assert page.rows == list(range(40, 45))
    assert page.offset == 40
    assert page.extent.text == "本页 5 条，共 45 条"
    assert page.next_query == ""
    assert QueryDict(page.prev_query).dict() == {"org": "5", "page": "2"}


def test_a_page_number_out_of_range_or_not_a_number_shows_the_nearest_page():
    assert _page("page=99").number == 3
    assert _page("page=0").number == 1
    assert _page("page=-2").number == 1
    assert _page("page=abc").number == 1


def test_a_short_list_is_one_page_and_says_only_the_total():
    page = list_page([1, 2], params=QueryDict(""), per_page=20, unit="人")
    assert not page.paged
    assert page.extent.text == "共 2 人"
    assert page.next_query == page.prev_query == ""


def test_an_empty_list_is_one_empty_page():
    page = list_page([], params=QueryDict("page=4"), per_page=20, unit="人")
    assert (page.number, page.pages, page.rows) == (1, 1, [])
    assert page.extent.text == "共 0 人"


def test_a_capped_source_pages_its_rows_and_counts_the_whole():
    page = _page("", total=CappedCount(counted=2570, cap=2570), how="翻页查看前 45 名")
    assert page.pages == 3
    assert page.extent.text == "显示前 20 条，共 2,570 条 — 翻页查看前 45 名"
