"""The five-order loop in real browsers: a resident submits on the phone page (点单), the grid
worker claims (领单), the branch dispatches (派单), the member reports with a photo (晒单),
the resident rates 不满意 through the private link (评单) → reopened → reported again → 满意;
the township's statistics change. The resident is told by text message (the log sender's
outbox): the private link at 点单, then 领单 and each 晒单; they copy the link with the copy
button, see the 晒单 photo the member marked 对群众公开, and after 退订短信 the 结单 texts nothing."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from dangjian.core import sms
from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.service_requests.models import ServiceRequest

PASSWORD = "pw-Test-2026"
# Browser tests truncate the database; serialized rollback restores the categories and rules
# that migrations load.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PHONE = "13912345678"


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _photo(tmp_path, name: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), "#3a7").save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _stats(page, org_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page.goto(f"/requests/stats/?org={org_id}")
    return {
        k: page.get_by_test_id(f"stat-{k}").inner_text().strip()
        for k in ("received", "solve", "satisfaction", "response")
    }


def _rate(page, link: str, label: str, reason: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(link)
    form = page.locator("#rating-form")
    expect(form).to_be_visible()
    form.get_by_text(label, exact=True).click()
    if reason:
        page.get_by_label("评价理由").fill(reason)
    page.locator("#submit-rating").click()


def _texts() -> list[str]:
    """The progress messages to the resident (verification codes left out)."""
    return [m.body for m in sms.outbox if m.phone == PHONE and "验证码" not in m.body]


def test_five_order_loop(page_for, people, tree, screenshot_dir, tmp_path):
    sms.outbox.clear()
    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    doer = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=doer.pk).update(user=people.member)

    town = page_for(width=1280)
    _login(town, "township_a")
    before = _stats(town, tree.township_a.pk)

    # 点单: the resident on a phone, verified by SMS.
    resident = page_for(width=375, height=812)
    resident.goto("/s/")
    category = resident.locator("#id_category option", has_text="政策咨询").first.get_attribute(
        "value"
    )
    resident.locator("#id_category").select_option(category)
    resident.get_by_label("诉求内容").fill("想咨询今年耕地地力保护补贴什么时候发放，发到哪张卡上")
    resident.locator("#id_township").select_option(str(tree.township_a.pk))
    expect(resident.locator("#id_village option", has_text="甲村")).to_have_count(1)
    resident.locator("#id_village").select_option(str(tree.village_a1.pk))
    # The grid select defaults to "不确定": the village's first grid (ours) takes it.
    expect(resident.locator("#id_grid")).to_be_visible()
    resident.get_by_label("您的称呼").fill("王大妈")
    resident.get_by_label("手机号码").fill(PHONE)
    resident.get_by_test_id("send-code").click()
    expect(resident.get_by_test_id("code-status")).not_to_be_empty()
    resident.get_by_label("短信验证码").fill(sms.last_code_for(PHONE))
    resident.screenshot(path=screenshot_dir / "sr-resident-submit-375.png", full_page=True)
    resident.get_by_test_id("submit-request").click()
    expect(resident.get_by_test_id("tracking-code")).to_be_visible()
    code = resident.get_by_test_id("tracking-code").inner_text().strip()
    link = resident.get_by_test_id("open-private-link").get_attribute("href")
    assert link
    req = ServiceRequest.objects.get(tracking_code=code)
    assert req.state == "submitted"
    assert req.grid == grid
    # The private link came by text message too; the copy button puts it on the clipboard.
    absolute = resident.get_by_test_id("private-link").input_value()
    assert absolute.endswith(link)
    [first] = _texts()
    assert code in first
    assert link in first
    assert "王大妈" not in first
    resident.context.grant_permissions(["clipboard-read", "clipboard-write"])
    resident.get_by_test_id("copy-private-link").click()
    expect(resident.get_by_test_id("copy-private-link")).to_have_text("已复制")
    assert resident.evaluate("navigator.clipboard.readText()") == absolute
    resident.screenshot(path=screenshot_dir / "sr-resident-submitted-375.png", full_page=True)

    # 领单: the grid worker on a phone.
    worker = page_for(width=375, height=812)
    _login(worker, "grid_worker")
    worker.goto("/requests/")
    expect(worker).to_have_url(re.compile(r"/requests/pool/"))
    expect(worker.get_by_test_id(f"pool-{code}")).to_be_visible()
    worker.screenshot(path=screenshot_dir / "sr-worker-pool-375.png", full_page=True)
    worker.get_by_test_id(f"claim-{code}").click()
    expect(worker.get_by_test_id(f"req-{code}")).to_be_visible()  # now under 我领的单
    assert len(_texts()) == 2
    assert "已由网格员领单" in _texts()[-1]

    # 派单: the branch on the desktop board.
    branch = page_for(width=1280)
    _login(branch, "village_secretary")
    branch.goto("/requests/")
    expect(branch).to_have_url(re.compile(r"/requests/board/"))
    branch.get_by_test_id(f"members-open-{code}").click()  # the picker: checkboxes, no Ctrl
    branch.get_by_test_id(f"members-{code}").locator(f'input[value="{doer.pk}"]').check()
    branch.screenshot(path=screenshot_dir / "sr-branch-board-desktop.png", full_page=True)
    branch.get_by_test_id(f"dispatch-{code}").click()
    expect(branch.get_by_test_id(f"board-{code}")).to_have_count(0)

    # 晒单: the member on a phone, first without a photo (refused), then with one.
    member = page_for(width=375, height=812)
    _login(member, "member")
    member.goto("/requests/mine/")
    expect(member.get_by_test_id(f"order-{code}")).to_be_visible()
    order = member.get_by_test_id(f"order-{code}")
    order.get_by_label("晒单：办理情况").fill("已上门说明补贴发放时间和账户")
    order.get_by_test_id(f"report-{code}").click()
    expect(member.get_by_text("晒单须上传至少一张现场照片")).to_be_visible()
    req.refresh_from_db()
    assert req.state == "dispatched"
    order = member.get_by_test_id(f"order-{code}")
    order.get_by_label("晒单：办理情况").fill("已上门说明补贴发放时间和账户")
    order.get_by_label("现场照片（至少一张）").set_input_files(_photo(tmp_path, "first.jpg"))
    order.get_by_test_id(f"photos-public-{code}").check()
    member.screenshot(path=screenshot_dir / "sr-member-report-375.png", full_page=True)
    order.get_by_test_id(f"report-{code}").click()
    expect(member.get_by_text("晒单成功")).to_be_visible()
    req.refresh_from_db()
    assert req.state == "reported"
    assert len(_texts()) == 3
    assert "已办结晒单" in _texts()[-1]
    assert link in _texts()[-1]

    # The resident opens the link from the message and sees the photo marked public.
    resident.goto(link)
    photos = resident.get_by_test_id("public-photos").locator("img")
    expect(photos).to_have_count(1)
    photos.first.scroll_into_view_if_needed()
    resident.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=public-photos] img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    resident.screenshot(path=screenshot_dir / "sr-resident-public-photo-375.png", full_page=True)

    # 评单 不满意 through the private link → reopened.
    _rate(resident, link, "不满意", "还没有告诉我具体到账日期")
    expect(resident.get_by_test_id("request-state")).to_have_text("不满意重办")
    resident.screenshot(path=screenshot_dir / "sr-resident-reopened-375.png", full_page=True)
    req.refresh_from_db()
    assert (req.state, req.reopen_count) == ("reopened", 1)

    # Reported again, then 满意.
    member.goto("/requests/mine/")
    order = member.get_by_test_id(f"order-{code}")
    expect(order).to_contain_text("群众不满意")
    order.get_by_label("晒单：办理情况").fill("已电话确认：11月25日前到账，发放至一卡通")
    order.get_by_label("现场照片（至少一张）").set_input_files(_photo(tmp_path, "second.jpg"))
    order.get_by_test_id(f"report-{code}").click()
    expect(member.get_by_text("晒单成功")).to_be_visible()
    _rate(resident, link, "满意")
    expect(resident.get_by_test_id("request-state")).to_have_text("已评单")
    resident.screenshot(path=screenshot_dir / "sr-resident-rated-375.png", full_page=True)
    req.refresh_from_db()
    assert (req.state, req.rating, req.report_count) == ("rated", "satisfied", 2)
    # 领单 and two 晒单 texted; the resident's own ratings did not.
    assert len(_texts()) == 4

    # 退订短信 on the private page: the branch's 结单 then texts nothing.
    resident.get_by_test_id("sms-opt-out").click()
    expect(resident.get_by_test_id("sms-status")).to_contain_text("您已退订")
    resident.screenshot(path=screenshot_dir / "sr-resident-sms-opt-out-375.png", full_page=True)

    # The detail page shows the whole history; the township's figures moved.
    branch.goto(f"/requests/{req.pk}/")
    branch.get_by_test_id("act-close").click()
    expect(branch.get_by_text("已结单").first).to_be_visible()
    req.refresh_from_db()
    assert req.state == "closed"
    assert len(_texts()) == 4
    history = branch.get_by_test_id("req-history")
    for step in ("点单", "领单", "派单", "晒单", "不满意重办", "评单"):
        expect(history).to_contain_text(step)
    expect(branch.get_by_test_id("req-photos").locator("img")).to_have_count(2)
    branch.screenshot(path=screenshot_dir / "sr-detail-desktop.png", full_page=True)
    after = _stats(town, tree.township_a.pk)
    assert before["received"] == "0"
    assert after["received"] == "1"
    assert (after["solve"], after["satisfaction"], after["response"]) == (
        "100.0%",
        "100.0%",
        "100.0%",
    )
    assert after != before
    town.screenshot(path=screenshot_dir / "sr-stats-desktop.png", full_page=True)
    town.set_viewport_size({"width": 375, "height": 812})
    town.goto(f"/requests/stats/?org={tree.township_a.pk}")
    town.screenshot(path=screenshot_dir / "sr-stats-375.png", full_page=True)
