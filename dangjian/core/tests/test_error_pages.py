"""Error pages keep the site's layout for a signed-in user, and stand alone for anyone else."""

from __future__ import annotations

from unittest import mock

from django.test import RequestFactory

from dangjian.core import views

SIDEBAR = 'class="navbar navbar-vertical'


def test_a_missing_page_keeps_the_sidebar_for_a_signed_in_user(login, people) -> None:
    response = login(people.township_a).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert SIDEBAR in html
    assert "页面不存在" in html
    assert "组织体系" in html  # the persona's own menu


def test_a_row_outside_the_scope_is_a_404_with_the_sidebar(login, people, tree) -> None:
    response = login(people.township_b).get(f"/orgs/{tree.village_a1.pk}/")
    assert response.status_code == 404
    assert SIDEBAR in response.content.decode()


def test_a_forbidden_page_keeps_the_sidebar(login, people) -> None:
    response = login(people.member).get("/system/calendar/")
    html = response.content.decode()
    assert response.status_code == 403
    assert SIDEBAR in html
    assert "只有组织部管理员可以维护节假日" in html


def test_an_anonymous_visitor_gets_the_bare_error_page(client, db) -> None:
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert SIDEBAR not in html
    assert "页面不存在" in html


def test_a_server_error_keeps_the_sidebar(people) -> None:
    request = RequestFactory().get("/members/")
    request.user = people.village_secretary
    request.session = {}  # type: ignore[assignment]
    response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert SIDEBAR in html
    assert "系统出错了" in html


def test_a_server_error_falls_back_to_the_bare_page_when_the_layout_fails(people) -> None:
    request = RequestFactory().get("/members/")
    request.user = people.village_secretary
    request.session = {}  # type: ignore[assignment]
    with mock.patch(
        "dangjian.accounts.workspace.workspace_for", side_effect=RuntimeError("db down")
    ):
        response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert SIDEBAR not in html
    assert "系统出错了" in html
