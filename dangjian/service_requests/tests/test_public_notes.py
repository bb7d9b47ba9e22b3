"""Only notes marked public leave the system, and their phone and ID numbers are masked.

The side door: a grid worker's note to a request ("户主电话…，身份证…") showed in the
``status_notes`` of the anonymous Open311 feed and on the resident's pages.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestEvent
from dangjian.service_requests.tests.factories import category, drive, photo, submit

pytestmark = pytest.mark.django_db

OPEN311 = "/open311/v2"
PHONE = "13812345678"
ID_NUMBER = "11010519900307001X"
SECRET = f"户主电话{PHONE}，身份证{ID_NUMBER}，家里有矛盾"
MASKED = "户主电话138****5678，身份证******************，家里有矛盾"


def _fresh(grid: Any) -> Any:
    req, token = submit(grid)
    req._raw_token = token
    return req


def _claim(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    return services.request_claim(actor=people.grid_worker, request=req, note=SECRET, **kw)


def _dispatch(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "claimed", people=people, member=doer)
    return services.request_dispatch(
        actor=people.village_secretary, request=req, members=[doer], note=SECRET, **kw
    )


def _start(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "dispatched", people=people, member=doer)
    return services.request_start(actor=people.village_secretary, request=req, note=SECRET, **kw)


def _resume(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "waiting", people=people, member=doer)
    return services.request_resume(actor=people.village_secretary, request=req, note=SECRET, **kw)


def _report(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "dispatched", people=people, member=doer)
    return services.request_report(
        actor=people.village_secretary, request=req, note=SECRET, photos=[photo()], **kw
    )


def _reopen(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "rated", people=people, member=doer)
    return services.request_reopen(actor=people.village_secretary, request=req, note=SECRET, **kw)


def _close(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    req = drive(req, "rated", people=people, member=doer)
    return services.request_close(actor=people.village_secretary, request=req, note=SECRET, **kw)


def _transfer(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    other = make_grid(req.org, "第二网格")
    return services.request_transfer(
        actor=people.village_secretary, request=req, grid=other, note=SECRET, **kw
    )


def _recategorize(req: Any, people: Any, doer: Any, **kw: Any) -> Any:
    return services.request_recategorize(
        actor=people.village_secretary,
        request=req,
        category=category("road_lighting"),
        note=SECRET,
        **kw,
    )


STAFF_NOTES: dict[str, Callable[..., Any]] = {
    "claim": _claim,
    "dispatch": _dispatch,
    "start": _start,
    "resume": _resume,
    "report": _report,
    "reopen_by_staff": _reopen,
    "close": _close,
    "transfer": _transfer,
    "recategorize": _recategorize,
}


def _everything_public(client: Any, req: Any, token: str) -> str:
    """Every surface a resident or an anonymous caller reads, as one text."""
    pages = [
        client.get(f"{OPEN311}/requests.json"),
        client.get(f"{OPEN311}/requests.json", {"service_request_id": req.tracking_code}),
        client.get(f"{OPEN311}/requests/{req.tracking_code}.json"),
        client.get(f"/s/r/{token}/"),
        client.get("/s/track/", {"code": req.tracking_code}),
    ]
    for page in pages:
        assert page.status_code == 200
    assert req.tracking_code in pages[0].content.decode()
    return "\n".join(p.content.decode() for p in pages)


@pytest.mark.parametrize("action", sorted(STAFF_NOTES))
def test_a_staff_note_is_internal_by_default_everywhere_public(client, grid, people, doer, action):
    fresh = _fresh(grid)
    req = STAFF_NOTES[action](fresh, people, doer)
    event = RequestEvent.objects.filter(request=req).latest("id")
    assert event.action == action
    assert SECRET in event.note  # staff still have the full record
    assert event.note_public is False
    text = _everything_public(client, req, fresh._raw_token)
    for leak in ("家里有矛盾", PHONE, ID_NUMBER, "138****5678"):
        assert leak not in text, leak


@pytest.mark.parametrize("action", sorted(STAFF_NOTES))
def test_a_note_marked_public_leaves_with_its_numbers_masked(client, grid, people, doer, action):
    fresh = _fresh(grid)
    req = STAFF_NOTES[action](fresh, people, doer, note_public=True)
    event = RequestEvent.objects.filter(request=req).latest("id")
    assert event.note_public is True
    assert MASKED in event.public_note
    text = _everything_public(client, req, fresh._raw_token)
    assert MASKED in text
    assert PHONE not in text
    assert ID_NUMBER not in text


def test_open311_status_notes_of_list_and_single_carry_only_public_text(client, grid, people, doer):
    req = drive(_fresh(grid), "claimed", people=people, member=doer)
    req = services.request_dispatch(
        actor=people.village_secretary, request=req, members=[doer], note=SECRET
    )
    (single,) = client.get(f"{OPEN311}/requests/{req.tracking_code}.json").json()
    listed = next(
        r
        for r in client.get(f"{OPEN311}/requests.json").json()
        if r["service_request_id"] == req.tracking_code
    )
    assert single["status_notes"] == listed["status_notes"] == "已派党员承办"
    assert doer.name not in str(single)


def test_open311_falls_back_to_the_step_when_the_latest_entry_has_no_public_text(
    client, grid, people, doer
):
    req = _claim(_fresh(grid), people, doer)
    (row,) = client.get(f"{OPEN311}/requests/{req.tracking_code}.json").json()
    assert row["status_notes"] == "网格员领单"


def test_the_question_to_the_resident_is_public_and_masked(client, grid, people, doer):
    req = drive(_fresh(grid), "dispatched", people=people, member=doer)
    req = services.request_wait(
        actor=people.village_secretary, request=req, note=f"请拨打{PHONE}补充具体位置"
    )
    (row,) = client.get(f"{OPEN311}/requests/{req.tracking_code}.json").json()
    assert row["status_notes"] == "请拨打138****5678补充具体位置"


def test_the_reason_for_closing_unresolved_is_public_and_masked(client, grid, people):
    fresh = _fresh(grid)
    services.request_close_unresolved(
        actor=people.village_secretary,
        request=fresh,
        reason="not_responsible",
        note=f"请致电 0311-12345678 或 {PHONE}",
    )
    html = client.get(f"/s/r/{fresh._raw_token}/").content.decode()
    assert "请致电 031********78 或 138****5678" in html
    assert PHONE not in html


def test_an_old_entry_is_masked_again_when_read(client, grid, people, doer):
    """Text written before the screen existed (or by a path that skipped it) is masked on
    the way out as well."""
    fresh = _fresh(grid)
    req = _claim(fresh, people, doer, note_public=True)
    RequestEvent.objects.filter(request=req, action="claim").update(public_note=SECRET)
    text = _everything_public(client, req, fresh._raw_token)
    assert MASKED in text
    assert PHONE not in text


def test_staff_page_posts_internal_unless_the_box_is_ticked(login, grid, people, doer):
    req = _fresh(grid)
    worker = login(people.grid_worker)
    worker.post(f"/requests/{req.pk}/claim/", {"note": SECRET})
    event = RequestEvent.objects.get(request=req, action="claim")
    assert (event.note_public, event.public_note) == (False, "")
    req = services.request_dispatch(actor=people.village_secretary, request=req, members=[doer])
    branch = login(people.village_secretary)
    branch.post(f"/requests/{req.pk}/start/", {"note": SECRET, "note_public": "on"})
    event = RequestEvent.objects.get(request=req, action="start")
    assert (event.note_public, event.public_note) == (True, MASKED)
    page = branch.get(f"/requests/{req.pk}/").content.decode()
    assert "说明群众可见" in page
    assert 'name="note_public"' in page


def test_api_notes_are_internal_unless_note_public(login, grid, people):
    api = "/api/v1/requests"
    first, second = _fresh(grid), _fresh(grid)
    worker = login(people.grid_worker)
    r = worker.post(f"{api}/{first.pk}/claim", {"note": SECRET}, content_type="application/json")
    assert r.status_code == 200, r.content
    r = worker.post(
        f"{api}/{second.pk}/claim",
        {"note": SECRET, "note_public": True},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    claimed = next(e for e in r.json()["events"] if e["action"] == "claim")
    assert (claimed["note_public"], claimed["public_note"]) == (True, MASKED)
    event = RequestEvent.objects.get(request=first, action="claim")
    assert (event.note_public, event.public_note) == (False, "")


@pytest.mark.parametrize(
    ("action", "note", "public", "note_public"),
    [
        ("dispatch", f"派给：张三、李四；{SECRET}", "已派党员承办", False),
        ("submit", "网上点单；办结时限 3 个工作日（规则）；同意情况：老人当面同意", "网上点单；办结时限 3 个工作日（规则）", False),
        ("claim", SECRET, "", False),
        ("report", "已修复", "", False),
        ("wait", "请补充具体位置", "请补充具体位置", True),
        ("close_unresolved", "不属于职责；请到镇政府办理", "不属于职责；请到镇政府办理", True),
        ("transfer", f"由“一网格”转至“二网格”；{SECRET}", "由“一网格”转至“二网格”", False),
        ("reopen_by_staff", f"{SECRET}；第 1 次重办（上限 2 次）", "第 1 次重办（上限 2 次）", False),
        ("release", "领单后超时未办理，退回待领", "领单后超时未办理，退回待领", False),
        ("rate", "群众评价：满意", "群众评价：满意", False),
    ],
)  # fmt: skip
def test_backfill_keeps_only_the_systems_wording_of_old_entries(
    action: str, note: str, public: str, note_public: bool
) -> None:
    migration = importlib.import_module(
        "dangjian.service_requests.migrations.0007_event_public_note_backfill"
    )
    assert migration._public(action, note) == (public, note_public)
