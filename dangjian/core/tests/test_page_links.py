"""The links a rendered page offers: its sidebar, the parts it loads, its same-site links."""

from __future__ import annotations

from dangjian.core.page_links import lazy_urls, same_site_links, sidebar_urls

PAGE = """<html><body>
<aside><a href="/" class="navbar-brand">智慧党建</a>
<div id="sidebar-menu"><ul>
<li><a class="nav-link" href="/">首页</a></li>
<li><a class="nav-link" href="/members/">党员管理</a></li>
<li><span class="nav-link disabled">我的</span></li>
<li><a class="nav-link" href="/points/mine/">我的积分存折</a></li>
<li><a class="nav-link" href="/members/">党员管理</a></li>
</ul></div></aside>
<div hx-get="/members/alerts/7/" hx-trigger="load" hx-swap="innerHTML"></div>
<div hx-get="stats/" hx-trigger="load, every 60s"></div>
<div hx-get="/later/" hx-trigger="revealed"></div>
<div hx-get="/folded/" hx-trigger="intersect once"></div>
<div hx-get="/on-click/" hx-trigger="click"></div>
<a href="/members/dossier-gaps/">档案补缺</a>
<a href="https://example.com/x">外部</a>
<a href="/members/export/?org=1">导出</a>
<a href="/accounts/logout/">退出</a>
<a href="detail/?tab=1">详情</a>
</body></html>"""


def test_sidebar_is_the_menu_entries_in_order_once_each() -> None:
    assert sidebar_urls(PAGE) == ["/", "/members/", "/points/mine/"]


def test_lazy_parts_are_those_the_page_loads_by_itself_resolved_against_the_page() -> None:
    # On open, or when scrolled into view; never what waits for a click.
    assert lazy_urls(PAGE, base="/orgs/") == [
        "/members/alerts/7/",
        "/orgs/stats/",
        "/later/",
        "/folded/",
    ]


def test_links_stay_on_the_site_and_skip_exports_and_logout() -> None:
    assert same_site_links(PAGE, base="/members/") == [
        "/",
        "/members/",
        "/points/mine/",
        "/members/dossier-gaps/",
        "/members/detail/?tab=1",
    ]


def test_a_page_without_a_sidebar_has_no_menu() -> None:
    assert sidebar_urls("<html><body><a class='nav-link' href='/x/'>x</a></body></html>") == []
