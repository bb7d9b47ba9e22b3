"""township_a logs in, expands the tree, sees only its township, opens an organization page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-counts")).to_be_visible()


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (375, "phone")])
def test_township_worker_sees_only_own_township(
    page_for, people, tree, screenshot_dir, width, label
):
    page = page_for(width=width)
    _login(page, "township_a")
    page.screenshot(path=screenshot_dir / f"home-{label}.png", full_page=True)

    page.goto("/orgs/")
    tree_el = page.get_by_test_id("org-tree")
    expect(tree_el).to_contain_text("甲镇党委")
    expect(tree_el).to_contain_text("甲村党支部")
    expect(tree_el).not_to_contain_text("乙镇党委")
    expect(tree_el).not_to_contain_text("丙村党支部")

    # Expand the village: its 党小组 arrives lazily over HTMX.
    expect(tree_el).not_to_contain_text("甲村第一党小组")
    page.get_by_test_id(f"toggle-{tree.village_a1.pk}").click()
    expect(tree_el.get_by_text("甲村第一党小组")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"tree-{label}.png", full_page=True)

    # Search stays inside the township.
    page.get_by_label("检索组织").fill("村")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("中共甲村支部委员会")
    expect(results).not_to_contain_text("中共丙村支部委员会")

    page.goto("/orgs/")
    page.get_by_test_id("org-tree").get_by_role("link", name="甲村党支部").click()
    expect(page.get_by_role("heading", name="中共甲村支部委员会")).to_be_visible()
    expect(page.get_by_test_id("org-info")).to_contain_text("农村")
    page.screenshot(path=screenshot_dir / f"org-detail-{label}.png", full_page=True)

    # Another township's organization is a Chinese 404.
    response = page.goto(f"/orgs/{tree.village_b1.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("页面不存在")
