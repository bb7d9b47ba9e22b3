"""Every persona walks every sidebar page and the links on it: nothing is missing or broken,
and nothing on the screen is meant for developers.

Discovery: the pages are the persona's own sidebar (``workspace_for`` → ``Workspace.nav`` and
``Workspace.mine``, the same lists the sidebar template renders), never a hand list; the links
are the ``<a href>`` of those pages, same-site, one level deep. Links are bounded: at most
``PER_SHAPE`` per URL shape (digits replaced by ``N``) and ``MAX_LINKS`` per persona, so the
walk covers each kind of page without reading every row.

Checks on every page reached:
(a) the status is below 400 (a 404 or 500 behind a link the page shows is a broken page);
(b) the visible text (scripts, styles and attributes aside) holds no English word outside
    ``ALLOWED_WORDS``, and none of our internal marks: ``None``/``True``, snake_case or dotted
    identifiers (all caught as English), research tags (``[local]``, ``[verify]``), 种子文件,
    待核实, or options that lead with a code (``01 汉族``, ``001A 书记``).

The data: the root personas' county with a little of every capability (members, meetings in
several states, a finding, an applicant, points, dues, grids with households, requests in
several states of the five-order loop, a transfer) — built through the services, so the audit
log fills too. The walk takes about a minute on SQLite (see docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from dangjian.accounts.workspace import workspace_for
from dangjian.core.page_links import SKIP_LINK, lazy_urls, sidebar_urls
from dangjian.dues.tests.factories import pay, profiled
from dangjian.findings.services import finding_create
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.meetings.models import Attendance, MeetingType
from dangjian.meetings.services import meeting_approve, meeting_submit
from dangjian.meetings.tests.factories import make_meeting
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.points.services import points_award_manual
from dangjian.points.tests.factories import default_item
from dangjian.recruitment.tests.factories import make_applicant
from dangjian.service_requests.tests.factories import drive, submit
from dangjian.transfers.tests.factories import request as transfer_request

PER_SHAPE = 2
MAX_LINKS = 60
# Words a Chinese user reads as they are (product and format names, common abbreviations).
ALLOWED_WORDS = frozenset(
    {
        "PDF",
        "Excel",
        "API",
        "ID",
        "QR",
        "IP",
        "MB",
        "KB",
        "docx",
        "xlsx",
        "Ctrl",
        "SMS",
        "URL",
        "Word",
        "WPS",
        "Tabler",
        "OK",
    }
)
ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")
INTERNAL = re.compile(r"种子文件|待核实|\[(?:reg|local|verify)\]")
# Codes people read and type back (组织代码 ROOT0001, letter numbers QC-2026-000004, tracking
# codes) and masked ID numbers (3301**********123X): capitals with digits, never a word. A code
# without digits (a check-in code) is marked translate="no" in its template instead.
IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Z0-9-]*[0-9])[A-Z0-9]{2,}(?:-[A-Z0-9]+)*(?![A-Za-z0-9])"
    r"|[0-9*]{6,}[Xx](?![A-Za-z])"
)
CODE_FIRST = re.compile(r"^\s*[0-9]{1,4}[A-Z]?\s+\S")


def _populate(tree: Any, people: Any) -> None:
    """A little of everything, through the services (so the audit log has real rows)."""
    actor = people.county_admin
    me = make_member(actor, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=me.pk).update(user=people.member, group=tree.group_a1)
    others = [make_member(actor, tree.village_a1, name=n) for n in ("王立新", "李桂兰", "张振华")]
    make_member(actor, tree.village_b1, name="孙丽")
    make_member(actor, tree.bureau, name="周文")

    now = timezone.now().replace(second=0, microsecond=0)
    draft = make_meeting(
        people.village_secretary, tree.village_a1, held_at=now - dt.timedelta(days=3)
    )
    submitted = make_meeting(
        people.village_secretary,
        tree.village_a1,
        types=[MeetingType.COMMITTEE_MEETING],
        held_at=now - dt.timedelta(days=10),
        topic="研究发展党员工作",
    )
    approved = make_meeting(
        people.village_secretary, tree.village_a1, held_at=now - dt.timedelta(days=40)
    )
    Attendance.objects.filter(meeting__in=[submitted, approved]).update(status="present")
    meeting_submit(actor=people.village_secretary, meeting=submitted)
    meeting_submit(actor=people.village_secretary, meeting=approved)
    meeting_approve(actor=people.township_a, meeting=approved)
    assert draft.pk

    finding_create(
        actor=people.township_a,
        org=tree.village_a1,
        title="组织生活记录不完整",
        found_on=timezone.localdate() - dt.timedelta(days=5),
    )
    make_applicant(people.village_secretary, tree.village_a1)
    points_award_manual(
        actor=people.village_secretary,
        member=others[0],
        item=default_item("discipline_violation", timezone.localdate().year),
        on=timezone.localdate() - dt.timedelta(days=2),
        reason="不参加村里集体劳动",
    )
    month = timezone.localdate().replace(day=1)
    profiled(actor, me, since=(month - dt.timedelta(days=40)).replace(day=1), through=month)
    pay(actor, me, (month - dt.timedelta(days=1)).replace(day=1), "22.50")

    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    make_household(grid, head_name="王大伯", phone="13900001111")
    make_household(grid, head_name="李大妈")
    for target in ("submitted", "dispatched", "escalated", "closed"):
        req, token = submit(grid)
        req._raw_token = token  # type: ignore[attr-defined]
        drive(req, target, people=people, member=me)
    transfer_request(people.village_secretary, others[2], tree.village_b1)


def _sidebar(client: Client, user: Any) -> list[str]:
    """The persona's sidebar pages, from the same workspace the sidebar template renders."""
    request = RequestFactory().get("/")
    request.user = user
    request.session = client.session
    space = workspace_for(request)
    return [item.url for item in [*space.nav, *space.mine]]


def _visible_text(doc: Any) -> str:
    body = doc.find("body") if doc.find("body") is not None else doc
    # translate="no" marks what a user types or reads back verbatim (a login name).
    for bad in body.xpath('//script|//style|//template|//noscript|//svg|//*[@translate="no"]'):
        bad.drop_tree()
    text = " ".join(body.itertext())
    return IDENTIFIER.sub(" ", text)


def _problems(url: str, html: str) -> tuple[list[str], list[str]]:
    """(links on the page, what is wrong with its text)."""
    doc = lxml.html.fromstring(html)
    links = [a.get("href", "") for a in doc.xpath("//a[@href]")]
    wrong = [
        f"选项带代码：{o.text_content().strip()!r}"
        for o in doc.xpath("//option")
        if CODE_FIRST.match(o.text_content())
    ]
    text = _visible_text(doc)
    words = {w.strip(".-") for w in ENGLISH.findall(text)} - ALLOWED_WORDS - {""}
    wrong += [f"英文或代码：{w}" for w in sorted(words)]
    wrong += [f"内部标记：{m}" for m in sorted(set(INTERNAL.findall(text)))]
    return links, wrong


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _walk(client: Client, start: list[str]) -> dict[str, list[str]]:
    failures: dict[str, list[str]] = {}
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = [(url, True) for url in start]
    queued = set(start)
    followed = 0
    while queue:
        url, is_sidebar = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            response = client.get(url, follow=True)
        except Exception as exc:  # noqa: BLE001 — a server error is what we look for
            failures[url] = [f"服务器错误：{exc!r}"]
            continue
        if response.status_code >= 400:
            failures[url] = [f"状态 {response.status_code}"]
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        links, wrong = _problems(url, html)
        # Parts a page loads right after it opens (``hx-trigger="load"``): the page's text too.
        for part in lazy_urls(html, base=url):
            try:
                loaded = client.get(part, headers={"HX-Request": "true"})
            except Exception as exc:  # noqa: BLE001
                wrong.append(f"{part}：服务器错误 {exc!r}")
                continue
            if loaded.status_code >= 400:
                wrong.append(f"{part}：状态 {loaded.status_code}")
            elif loaded.content.strip():
                more_links, more_wrong = _problems(part, f"<div>{loaded.content.decode()}</div>")
                links += more_links
                wrong += [f"{part}：{w}" for w in more_wrong]
        if wrong:
            failures[url] = wrong
        if not is_sidebar:
            continue
        for href in links:
            parts = urlsplit(urljoin(response.request["PATH_INFO"], href))
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in queued or SKIP_LINK.search(parts.path):
                continue
            shape = _shape(parts.path)
            if shapes.get(shape, 0) >= PER_SHAPE or followed >= MAX_LINKS:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            followed += 1
            queued.add(target)
            queue.append((target, False))
    return failures


PERSONAS = (
    "county_admin",
    "township_a",
    "township_b",
    "village_secretary",
    "member",
    "grid_worker",
    "inspector",
    "nobody",
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_and_link_of_a_persona_opens_and_speaks_chinese(
    tree: Any, people: Any, client: Client, persona: str
) -> None:
    _populate(tree, people)
    user = getattr(people, persona)
    client.force_login(user, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
    pages = _sidebar(client, user)
    assert "/" in pages, pages  # 首页 at least; every role has more
    failures = _walk(client, pages)
    report = "\n".join(f"{url}: {'；'.join(p)}" for url, p in sorted(failures.items()))
    assert not failures, f"{persona}:\n{report}"


def test_the_text_scan_catches_what_it_is_for() -> None:
    bad = (
        "<html><body><p>request.escalate</p><p>依据：[local]</p><p>待核实</p>"
        "<select><option>01 汉族</option></select><script>var x = 1;</script></body></html>"
    )
    _, wrong = _problems("/", bad)
    assert "英文或代码：request.escalate" in wrong
    assert "内部标记：[local]" in wrong
    assert "内部标记：待核实" in wrong
    assert "选项带代码：'01 汉族'" in wrong
    assert not any("var" in w for w in wrong)
    _, fine = _problems(
        "/", "<html><body><p>导出 Excel、下载 PDF</p><a title='x'>共 3 人</a></body></html>"
    )
    assert fine == []


@pytest.mark.parametrize("persona", ["county_admin", "village_secretary", "member"])
def test_the_rendered_sidebar_is_the_workspace_menu(
    tree: Any, people: Any, client: Client, persona: str
) -> None:
    """bench_pages reads the sidebar from the rendered page: it must list the same pages."""
    _populate(tree, people)
    user = getattr(people, persona)
    client.force_login(user, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
    rendered = sidebar_urls(client.get("/").content.decode())
    assert rendered == list(dict.fromkeys(_sidebar(client, user)))
    assert len(rendered) > 1
