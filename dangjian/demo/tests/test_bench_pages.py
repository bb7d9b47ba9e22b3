"""bench_pages walks each persona's own sidebar, times every page, and fails only on server
errors (no timing asserted)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _bench(*args: str) -> str:
    out = StringIO()
    call_command("bench_pages", "--no-write", "--runs", "1", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_every_sidebar_page_and_the_parts_it_loads_are_timed(tree, people) -> None:
    text = _bench("--persona", "county_admin", "--persona", "member")
    assert "| county_admin | `/members/` | 菜单 | 200 |" in text
    assert f"| county_admin | `/members/alerts/{tree.county.pk}/` | 局部 | 200 |" in text
    assert "| county_admin | `/members/dossier-gaps/` | 链接 | 200 |" in text
    assert "| member | `/meetings/checkin/` | 菜单 | 200 |" in text
    assert "| member | `/points/home-card/` | 局部 | 200 |" in text  # the member's own home
    assert "| member | `/accounts/tokens/` |" not in text  # API 令牌 is not a member's item
    assert "| member | `/members/` |" not in text  # not in a member's sidebar
    assert "×" in text  # list pages have a floor
    assert "没有自然下限的页面" in text
    assert "已追加到" not in text


def test_a_server_error_fails_the_command(tree, people, monkeypatch) -> None:
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr("dangjian.members.stats.selectors.member_alerts", broken)
    with pytest.raises(CommandError, match="/members/alerts/"):
        _bench("--persona", "county_admin", "--no-links")
