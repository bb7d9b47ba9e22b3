"""A resident on a 375 px phone, with no account, reports rubbish by the river with a photo:
a wrong SMS code is refused (nothing recorded), the right one (read from the SMS outbox) gets a
tracking code and a private link; the link shows the progress and, once a member has reported
the work, takes the resident's rating."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import expect

from dangjian.core import sms
from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestCategory, RequestPhoto, ServiceRequest
from dangjian.service_requests.tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def migration_rows(page_for):  # type: ignore[no-untyped-def]
    """Restore the rows migrations load (categories, code tables …) when serialized rollback
    could not.

    Once Playwright's event loop runs in this thread, asgiref hands Django a per-context
    connection wrapper that lacks ``_test_serialized_contents``, so after a flushing
    (transactional) test on the same worker the rows stay gone. Read the serialized data from
    the thread's own wrapper and load it; keeping it on the new wrapper lets later browser
    tests roll back properly.
    """
    conn = connections["default"]
    if hasattr(conn, "_test_serialized_contents") or RequestCategory.objects.exists():
        return
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        data = getattr(connections["default"], "_test_serialized_contents", None)
    finally:
        asyncio.events._set_running_loop(loop)
    if data:
        conn.creation.deserialize_db_from_string(data)
        conn._test_serialized_contents = data


def _photo_with_gps(tmp_path: Path) -> Path:
    img = Image.new("RGB", (320, 240), (90, 140, 60))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 0.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    path = tmp_path / "河边垃圾.jpg"
    path.write_bytes(buf.getvalue())
    return path


def _wait_for_htmx(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until HTMX has wired a freshly swapped element (a person is never that fast)."""
    page.wait_for_function(
        "id => { const el = document.getElementById(id);"
        " return !!el && !!el['htmx-internal-data'] && !el.closest('.htmx-settling'); }",
        arg=element_id,
    )


def _fill(page, tree, photo: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("诉求类别").select_option(label="环境卫生")
    page.get_by_label("诉求内容").fill("河道边堆了很多垃圾，天热有异味")
    page.get_by_label("现场照片").set_input_files(str(photo))
    page.get_by_label("乡镇（街道）").select_option(str(tree.township_a.pk))
    village = page.get_by_label("村（社区）")
    expect(village.locator("option", has_text="甲村")).to_have_count(1)
    _wait_for_htmx(page, "id_village")
    village.select_option(str(tree.village_a1.pk))
    expect(page.get_by_label("网格").locator("option", has_text="第一网格")).to_have_count(1)
    page.get_by_label("具体地点").fill("甲村3组河边")
    page.get_by_label("手机号码").fill(PHONE)


def test_resident_submits_with_photo_and_sms_code_then_rates(
    page_for, tree, people, screenshot_dir, tmp_path
):
    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    make_grid(tree.village_a1, "第二网格")
    photo = _photo_with_gps(tmp_path)

    page = page_for(width=375, height=800)
    page.goto("/s/")
    expect(page.get_by_role("heading", name="我要反映")).to_be_visible()
    _fill(page, tree, photo)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-status")).to_contain_text("验证码已发送")
    code = sms.last_code_for(PHONE)

    # A wrong code: refused with a Chinese message, nothing recorded.
    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_test_id("submit-request").click()
    expect(page.get_by_text("验证码不正确，还可以再试 4 次")).to_be_visible()
    assert not ServiceRequest.objects.exists()
    page.screenshot(path=screenshot_dir / "intake-wrong-code-phone.png", full_page=True)

    # The form kept what was typed; a file input cannot keep its file, so choose it again.
    expect(page.get_by_label("诉求内容")).to_have_value("河道边堆了很多垃圾，天热有异味")
    expect(page.get_by_test_id("photos-lost")).to_be_visible()
    page.get_by_label("现场照片").set_input_files(str(photo))
    page.get_by_label("短信验证码").fill(code)
    page.screenshot(path=screenshot_dir / "intake-form-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_test_id("submit-request").click()

    expect(page.get_by_role("heading", name="诉求已受理")).to_be_visible()
    tracking = page.get_by_test_id("tracking-code").inner_text().strip()
    req = ServiceRequest.objects.get()
    assert tracking == req.tracking_code
    assert req.grid == grid  # "不确定": the village's first grid
    stored = RequestPhoto.objects.get(request=req)
    with Image.open(stored.file.path) as img:
        assert not img.getexif().get_ifd(0x8825)
    link = page.get_by_test_id("private-link").input_value()
    assert re.search(r"/s/r/[\w-]+/$", link)
    page.screenshot(path=screenshot_dir / "intake-submitted-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_test_id("open-private-link").click()
    expect(page.get_by_test_id("request-state")).to_have_text("待领单")
    expect(page.get_by_text("群众点单")).to_be_visible()

    # Tracking by code shows the state without the description.
    page.goto(f"/s/track/?code={tracking}")
    expect(page.locator("#track-result")).to_contain_text("待领单")
    expect(page.locator("#track-result")).not_to_contain_text("河道边堆了很多垃圾")

    # The loop runs on the staff side; the resident then rates through the link.
    doer = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=doer.pk).update(user=people.member)
    req = services.request_claim(actor=people.grid_worker, request=req)
    req = services.request_dispatch(actor=people.village_secretary, request=req, members=[doer])
    services.request_report(
        actor=people.village_secretary,
        request=req,
        note="垃圾已清运",
        note_public=True,  # staff notes are internal unless marked public
        photos=[factories.photo()],
    )
    page.goto(link)
    expect(page.get_by_test_id("request-state")).to_have_text("已晒单待评价")
    expect(page.get_by_text("垃圾已清运")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("陈秀英")
    page.screenshot(path=screenshot_dir / "intake-rate-phone.png", full_page=True)
    page.get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("request-state")).to_have_text("已评单")
    req.refresh_from_db()
    assert req.rating == "satisfied"


def test_intake_form_on_desktop(page_for, tree, people, screenshot_dir, settings):
    make_grid(tree.village_a1, "第一网格")
    page = page_for(width=1280)
    page.goto("/s/")
    page.get_by_label("乡镇（街道）").select_option(str(tree.township_a.pk))
    expect(page.get_by_label("村（社区）").locator("option", has_text="甲村")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "intake-form-desktop.png", full_page=True)
    # A wrong phone number gets its message next to the button, nothing is sent.
    page.get_by_label("手机号码").fill("12345")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-status")).to_contain_text("11 位")
    with pytest.raises(LookupError):
        sms.last_code_for("12345")
    # A flood from one address: the 429 answer is swapped in next to the button.
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "code_per_ip": (1, 3600)}
    page.get_by_label("手机号码").fill("13700000001")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-status")).to_contain_text("验证码已发送")
    page.get_by_label("手机号码").fill("13700000002")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-status")).to_contain_text("操作太频繁")
    page.screenshot(path=screenshot_dir / "intake-flood-desktop.png")


def test_county_admin_blocks_a_phone_and_the_resident_is_refused(
    page_for, tree, people, screenshot_dir
):
    make_grid(tree.village_a1, "第一网格")
    admin = page_for(width=1280)
    admin.goto("/accounts/login/")
    admin.get_by_label("用户名或手机号").fill("county_admin")
    admin.get_by_label("密码").fill("pw-Test-2026")
    admin.get_by_role("button", name="登录").click()
    expect(admin).not_to_have_url(re.compile(r"/accounts/login/"))
    admin.goto("/system/blocklist/")
    admin.get_by_label("类型").select_option("phone")
    admin.get_by_label("手机号或 IP 地址").fill(PHONE)
    admin.get_by_label("原因").fill("一天内提交数十条无效诉求")
    admin.get_by_label("期限（天）").fill("30")
    admin.get_by_role("button", name="列入黑名单").click()
    expect(admin.get_by_role("cell", name="139****5678")).to_be_visible()
    expect(admin.locator("body")).not_to_contain_text(PHONE)
    admin.screenshot(path=screenshot_dir / "blocklist-desktop.png", full_page=True)

    phone = page_for(width=375, height=800)
    phone.goto("/s/")
    phone.get_by_label("手机号码").fill(PHONE)
    sent_before = len(sms.outbox)
    phone.get_by_test_id("send-code").click()
    expect(phone.get_by_test_id("code-status")).to_contain_text("暂时无法提交诉求")
    assert len(sms.outbox) == sent_before
