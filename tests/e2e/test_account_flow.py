"""A member makes an API token on the page, then changes the password: one wrong current
password is counted (the login's lockout), the change revokes the token."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_authenticate

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_token_then_password_change_revokes_it(page_for, people, screenshot_dir):
    page = page_for()
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill("member")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.goto("/accounts/tokens/")
    expect(page.get_by_text("留空为 90 天，最长 90 天")).to_be_visible()
    page.get_by_label("用途说明").fill("数据对接")
    page.get_by_role("button", name="生成").click()
    key = page.get_by_test_id("new-token").inner_text().strip()
    assert token_authenticate(key) == people.member
    expect(page.get_by_text("网页登录后创建")).to_be_visible()
    page.screenshot(path=screenshot_dir / "token-created.png", full_page=True)

    page.goto("/accounts/password/")
    page.locator("#id_old_password").fill("wrong-guess")
    page.locator("#id_new_password1").fill("Xin-mima-2026")
    page.locator("#id_new_password2").fill("Xin-mima-2026")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("当前密码不正确。再输错 4 次，账号将被锁定 30 分钟。")).to_be_visible()
    page.screenshot(path=screenshot_dir / "password-wrong.png", full_page=True)

    page.locator("#id_old_password").fill(PASSWORD)
    page.locator("#id_new_password1").fill("Xin-mima-2026")
    page.locator("#id_new_password2").fill("Xin-mima-2026")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("密码已修改；您的 1 个 API 令牌已随之吊销")).to_be_visible()
    assert token_authenticate(key) is None

    page.goto("/accounts/tokens/")
    expect(page.get_by_text("已吊销")).to_be_visible()
    page.screenshot(path=screenshot_dir / "token-revoked-by-password.png", full_page=True)
    assert ApiToken.objects.get().revoked_at is not None
