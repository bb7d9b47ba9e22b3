"""Property-based fuzzing of our own OpenAPI schema: no generated request may cause a 5xx, and
every status code an operation answers is one its OpenAPI documents.

Schemathesis generates requests from /api/v1/openapi.json (valid ones, and invalid ones that
must be refused with a 4xx) and sends them in-process through the WSGI application, as the
county administrator with a Bearer token, against the persona tree. Everything runs inside the
test's transaction, like the Django test client.

We drive the cases with ``operation.as_strategy()`` and ``case.call(app=...)`` rather than
``schemathesis.pytest.from_fixture``: the latter's subtest reporting does not run on pytest 9.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, status_code_conformance

from config.api import api
from dangjian.accounts.services import token_create
from dangjian.members.tests.factories import make_id, make_member
from dangjian.orgs.models import Organization, OrgLink
from dangjian.orgs.rules import child_types_allowed
from dangjian.transfers.services import transfer_approve
from dangjian.transfers.tests.factories import request

# Examples per operation: valid requests aimed at real rows (some poisoned with U+0000), and
# invalid ones. Bounded so `make test` stays under 20 minutes on both databases (#14): the
# generation, not the request, is most of the cost, and derandomize makes every run the same.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}

# Each capability aims the valid cases of its own endpoints from `dangjian/<app>/tests/fuzz_aim.py`:
#   PREFIX                       the API path prefix of its endpoints (or a tuple of prefixes)
#   rows(people, tree) -> dict   the real rows its endpoints act on (made once per test, and
#                                only for the operations under PREFIX: setup is most of the cost)
#   aim(case, data, x, real)     point path parameters and bodies at them (``x`` is that dict)
FUZZ_PLUGINS = [
    importlib.import_module(f"dangjian.{p.parent.parent.name}.tests.fuzz_aim")
    for p in sorted(
        (Path(__file__).resolve().parent.parent / "dangjian").glob("*/tests/fuzz_aim.py")
    )
]

# The schema as the server renders it (no database needed), loaded once at collection.
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [
    (method.upper(), path)
    for path, item in SCHEMA.raw_schema["paths"].items()
    for method in item
    if method in {"get", "post", "patch", "put", "delete"}
]


@pytest.fixture
def in_process_wsgi() -> Iterator[Any]:
    """The WSGI application, without closing the test's database connection per request."""
    from config.wsgi import application

    # Django's WSGI handler closes the connection when a request ends; inside the test
    # transaction that would throw the transaction away (the test client does the same dance).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Rows:
    """Real rows the valid cases are aimed at (fixed per test: Hypothesis needs stable choices)."""

    orgs: dict[int, Organization]
    token_id: int
    members: list[int] = dataclasses.field(default_factory=list)
    requested: list[int] = dataclasses.field(default_factory=list)  # transfers awaiting approval
    approved: list[int] = dataclasses.field(default_factory=list)  # transfers awaiting acceptance
    branches: list[int] = dataclasses.field(default_factory=list)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # meetings, reviews, findings
    plugins: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # FUZZ_PLUGINS


def _valid_member_payload() -> dict[str, Any]:
    birth = dt.date(1985, 3, 15)
    return {
        "name": "模糊测试党员", "sex": "1", "ethnicity": "01", "id_number": make_id(birth),
        "birth_date": birth.isoformat(), "education": "21", "category": "full",
        "joined_on": "2010-07-01", "full_member_on": "2011-07-01", "job": "1",
    }  # fmt: skip


def aim_members_and_transfers(
    case: schemathesis.Case, data: st.DataObject, rows: Rows, real: Any
) -> None:
    params = case.path_parameters or {}
    path = case.operation.path
    if "member_id" in params and rows.members and real("member_id"):
        params["member_id"] = data.draw(st.sampled_from(rows.members), label="member_id")
    if "action" in params and real("action"):
        params["action"] = data.draw(
            st.sampled_from(["retired", "unretired", "mobile_end"]), label="action"
        )
    if "transfer_id" in params and real("transfer_id"):
        pool = rows.approved if path.endswith("/accept") else rows.requested
        params["transfer_id"] = data.draw(st.sampled_from(pool), label="transfer_id")
    if not isinstance(case.body, dict):
        return
    body = case.body
    if path == "/api/v1/members/" and case.method.upper() == "POST" and real("member_body"):
        body.clear()
        body.update({**_valid_member_payload(), "branch_id": rows.branches[0]})
    if path == "/api/v1/members/{member_id}" and real("member_patch"):
        body.clear()
        body["address"] = "测试地址"
    if path == "/api/v1/transfers/" and case.method.upper() == "POST" and real("transfer_body"):
        # A whole valid request: each field aimed on its own seldom makes one with few examples.
        body.clear()
        body.update({
            "member_id": data.draw(st.sampled_from(rows.members), label="member_id"),
            "to_branch_id": rows.branches[-1], "dues_paid_through": "2026-10", "reason": "工作调动",
        })  # fmt: skip
        return
    if path == "/api/v1/transfers/{transfer_id}/return" and real("return_reason"):
        body["reason"] = "材料不全，请补充后重新申请"
    if "member" in body and isinstance(body["member"], dict) and real("member"):
        body["member"] = _valid_member_payload()
    for name in ("member_id",):
        if name in body and rows.members and real(name):
            body[name] = data.draw(st.sampled_from(rows.members), label=name)
    for name in ("to_branch_id", "branch_id"):
        if name in body and real(name):
            body[name] = data.draw(st.sampled_from(rows.branches), label=name)
    if "dues_paid_through" in body and real("dues"):
        body["dues_paid_through"] = "2026-10"
    for name in ("reason", "external_unit"):
        if name in body and real(name):
            body[name] = "模糊测试"
    for name in ("valid_until", "received_on", "on", "since"):
        if name in body and real(name):
            body[name] = None if name != "received_on" else "2026-11-01"


def aim_organizational_life(
    case: schemathesis.Case, data: st.DataObject, rows: Rows, real: Any
) -> None:
    """Point valid cases for meetings, reviews and findings at rows that accept them."""
    x = rows.extra
    params = case.path_parameters or {}
    path, method = case.operation.path, case.method.upper()
    if "meeting_id" in params and real("meeting_id"):
        params["meeting_id"] = (
            x["submitted"]
            if path.endswith(("/approve", "/return"))
            else x["planned"]
            if path.endswith(("/reschedule", "/cancel"))
            else x["planned_held"]
            if path.endswith("/record")
            else x["draft"]
        )
    if "/attendance/" in path and "member_id" in params and real("invitee"):
        params["member_id"] = x["invitee"]
    if "review_id" in params and real("review_id"):
        params["review_id"] = x["unqualified_review"]
    if "finding_id" in params and real("finding_id"):
        params["finding_id"] = x["finding"]
    if "remedy_id" in params and real("remedy_id"):
        params["remedy_id"] = x["remedy"]
    if path.startswith("/api/v1/findings/") and "action" in params and real("finding_action"):
        params["action"] = "start"
    if path == "/api/v1/reviews/" and method == "GET" and real("review_query"):
        case.query = {"org": x["branch"], "year": x["year"]}
    today = dt.date.today()  # noqa: DTZ011
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/meetings/"): lambda: {
            "org_id": x["branch"], "types": ["theme_day"], "topic": "模糊测试会议",
            "held_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(),
        },
        ("POST", "/api/v1/meetings/planned"): lambda: {
            "org_id": x["branch"], "types": ["theme_day"], "topic": "模糊测试通知会议",
            "held_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat(),
        },
        ("POST", "/api/v1/meetings/{meeting_id}/reschedule"): lambda: {
            "held_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(),
        },
        ("POST", "/api/v1/meetings/{meeting_id}/cancel"): lambda: {"reason": "模糊测试"},
        ("PUT", "/api/v1/meetings/{meeting_id}/attendance"): lambda: {
            "rows": [{"member_id": x["invitee"], "status": "present"}],
        },
        ("POST", "/api/v1/meetings/checkin"): lambda: {"code": x["code"]},
        ("PATCH", "/api/v1/meetings/{meeting_id}"): lambda: {"topic": "修改后的主题"},
        ("PUT", "/api/v1/meetings/{meeting_id}/attendance/{member_id}"): lambda: {"status": "present"},
        ("POST", "/api/v1/meetings/{meeting_id}/return"): lambda: {"comment": "请补充讨论情况"},
        ("POST", "/api/v1/meetings/{meeting_id}/approve"): lambda: {"comment": ""},
        ("POST", "/api/v1/reviews/"): lambda: {"member_id": x["reviewee"], "year": x["year"], "result": "qualified"},
        ("POST", "/api/v1/reviews/{review_id}/handle"): lambda: {
            "handling": "correct", "deadline": (today + dt.timedelta(days=60)).isoformat(),
        },
        ("POST", "/api/v1/findings/"): lambda: {"org_id": x["branch"], "title": "模糊测试问题", "found_on": today.isoformat()},
        ("POST", "/api/v1/findings/{finding_id}/responsibilities"): lambda: {"owner_name": "张三"},
        ("POST", "/api/v1/findings/{finding_id}/remedies"): lambda: {
            "measure": "限期整改", "owner_name": "张三", "deadline": (today + dt.timedelta(days=30)).isoformat(),
        },
        ("POST", "/api/v1/findings/remedies/{remedy_id}/done"): lambda: {"done_on": today.isoformat(), "evidence": "已整改"},
        ("POST", "/api/v1/findings/{finding_id}/{action}"): lambda: {"verdict": ""},
    }  # fmt: skip
    make = bodies.get((method, path))
    if make is not None and real("organizational_life_body"):
        case.body = make()


def _fitting_parents(orgs: dict[int, Organization], moved: Organization) -> list[int]:
    """Where ``moved`` may go: a parent that takes its type, not its own, not below itself."""
    return [
        o.pk
        for o in orgs.values()
        if moved.org_type in child_types_allowed(o.org_type)
        and o.pk != moved.parent_id
        and not o.path.startswith(moved.path)
    ]


def aim_at_real_rows(
    case: schemathesis.Case,
    data: st.DataObject,
    *,
    orgs: dict[int, Organization],
    token_id: int,
    rows: Rows | None = None,
) -> None:
    """Random ids and codes almost never exist; point most valid cases at the persona tree.

    ``orgs`` is fixed for the whole test (Hypothesis needs the same choices each example);
    organizations created by earlier examples are not drawn.
    """
    # False (what Hypothesis shrinks towards) means "use a real value".
    keep_random = st.booleans()

    def real(label: str) -> bool:
        return not data.draw(keep_random, label=f"random {label}")

    if rows is not None:
        aim_members_and_transfers(case, data, rows, real)
        if rows.extra:
            aim_organizational_life(case, data, rows, real)
        for plugin in FUZZ_PLUGINS:
            if plugin.__name__ in rows.plugins:
                plugin.aim(case, data, rows.plugins[plugin.__name__], real)
    params = case.path_parameters or {}
    path = case.operation.path
    if "org_id" in params and real("org_id"):
        pool = list(orgs)
        for plugin in FUZZ_PLUGINS:  # an operation on one kind of organization (a branch)
            pinned = getattr(plugin, "ORG_ID_FOR_PATH", {}).get(path)
            if pinned and rows is not None and plugin.__name__ in rows.plugins:
                pool = [rows.plugins[plugin.__name__][pinned]]
        if path.endswith("/move"):  # the root, for one, has nowhere to go
            pool = [pk for pk, o in orgs.items() if _fitting_parents(orgs, o)] or pool
        params["org_id"] = data.draw(st.sampled_from(pool), label="org_id")
    if "token_id" in params and real("token_id"):
        params["token_id"] = token_id - 1  # an earlier fuzz token of the same user
    if not isinstance(case.body, dict):
        return
    body = case.body
    for field in ("parent_id", "partner_id"):
        if field in body and real(field):
            body[field] = data.draw(st.sampled_from(list(orgs)), label=field)
    if "new_parent_id" in body and real("new_parent_id"):
        moved = orgs.get(params.get("org_id"))  # type: ignore[arg-type]
        fitting = _fitting_parents(orgs, moved) if moved is not None else []
        body["new_parent_id"] = data.draw(st.sampled_from(fitting or list(orgs)), label="to")
    if "org_type" in body and real("org_type"):
        parent = orgs.get(body.get("parent_id"))  # type: ignore[arg-type]
        allowed = child_types_allowed(parent.org_type) if parent else []
        body["org_type"] = data.draw(
            st.sampled_from(allowed or Organization.Type.values), label="org_type"
        )
    for field, values in (
        ("sector", Organization.Sector.values),
        ("kind", OrgLink.Kind.values),
    ):
        # An organization's sector and a link's kind; other apps' "kind" fields (a dues
        # payment's, a document's) are aimed by their own plugins.
        if field in body and path.startswith("/api/v1/orgs") and real(field):
            body[field] = data.draw(st.sampled_from(values), label=field)
    if "code" in body and path.startswith("/api/v1/orgs") and real("code"):
        body["code"] = ""  # random codes rarely match [0-9A-Z-]{2,32}; other codes are aimed
    if "name" in body and real("name"):
        body["name"] = "模糊测试党组织"
    if path == "/api/v1/orgs/{org_id}/links" and case.method.upper() == "POST" and real("link"):
        # A whole valid link (its fields aimed one by one seldom make one with few examples).
        lead = params.get("org_id")
        partners = [pk for pk in orgs if pk != lead] or list(orgs)
        body.clear()
        body.update({
            "kind": data.draw(st.sampled_from(OrgLink.Kind.values), label="link kind"),
            "partner_id": data.draw(st.sampled_from(partners), label="partner"),
            "started_on": (dt.date(2025, 1, 1) + dt.timedelta(
                days=data.draw(st.integers(0, 300), label="link start"))).isoformat(),
            "ended_on": None, "note": "",
        })  # fmt: skip


def test_every_operation_is_fuzzed() -> None:
    assert ("GET", "/api/v1/orgs/") in OPERATIONS
    assert ("PATCH", "/api/v1/orgs/{org_id}") in OPERATIONS
    assert ("DELETE", "/api/v1/tokens/{token_id}") in OPERATIONS
    assert len(OPERATIONS) >= 14


def test_the_served_schema_is_the_fuzzed_schema(db, in_process_wsgi) -> None:
    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", in_process_wsgi)
    assert served.raw_schema == SCHEMA.raw_schema
    served.validate()  # against the OpenAPI meta-schema


def with_nul(value: Any) -> Any:
    """Every string of a request with a U+0000 appended (PostgreSQL text cannot hold it)."""
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, dict):
        return {k: with_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_nul(v) for v in value]
    return value


def _real_rows(people: Any, tree: Any, orgs: dict[int, Organization], path: str) -> Rows:
    actor = people.county_admin
    branches = [tree.village_a1.pk, tree.village_a2.pk, tree.village_b1.pk]
    members = [make_member(actor, tree.village_a1, name=f"测试{i}").pk for i in range(3)]
    waiting = make_member(actor, tree.village_a2, name="待审批")
    accepting = make_member(actor, tree.village_a2, name="待接收")
    requested = request(actor, waiting, tree.village_b1, reason="工作调动")
    approved = request(actor, accepting, tree.village_b1, reason="工作调动")
    transfer_approve(actor=actor, transfer=approved)
    return Rows(
        orgs=orgs,
        token_id=0,
        members=members,
        requested=[requested.pk],
        approved=[approved.pk],
        branches=branches,
        extra=_organizational_life_rows(people, tree),
        plugins={
            p.__name__: p.rows(people, tree) for p in FUZZ_PLUGINS if path.startswith(p.PREFIX)
        },
    )


def _organizational_life_rows(people: Any, tree: Any) -> dict[str, Any]:
    """A draft and a submitted meeting, an open check-in for the fuzzing user, a review to
    handle and a finding with a remedy: what the valid cases of those endpoints act on."""
    from django.utils import timezone

    from dangjian.findings.services import finding_create, remedy_add
    from dangjian.meetings.models import Meeting
    from dangjian.meetings.reviews.services import review_record
    from dangjian.meetings.services import meeting_create, meeting_plan, meeting_submit
    from dangjian.members.models import Member

    actor, branch = people.county_admin, tree.village_a1
    own = make_member(actor, branch, name="管理员本人")
    Member.objects.filter(pk=own.pk).update(user=actor)  # the fuzzing user checks in as a member
    reviewee = make_member(actor, branch, name="待评议")
    unqualified = make_member(actor, branch, name="不合格")
    now = timezone.now()
    draft = meeting_create(
        actor=actor,
        org=branch,
        types=["theme_day"],
        held_at=now - dt.timedelta(minutes=10),
        topic="主题党日",
    )
    submitted = meeting_create(
        actor=actor,
        org=branch,
        types=["theme_day"],
        held_at=now - dt.timedelta(days=1),
        topic="已提交",
    )
    meeting_submit(actor=actor, meeting=submitted)
    planned = meeting_plan(
        actor=actor,
        org=branch,
        types=["theme_day"],
        held_at=now + dt.timedelta(days=1),
        topic="已通知",
    )
    planned_held = meeting_plan(
        actor=actor,
        org=branch,
        types=["theme_day"],
        held_at=now + dt.timedelta(days=1),
        topic="已召开待登记",
    )
    Meeting.objects.filter(pk=planned_held.pk).update(held_at=now - dt.timedelta(hours=1))
    year = now.year - 1
    review = review_record(actor=actor, member=unqualified, year=year, result="unqualified")
    today = timezone.localdate()
    finding = finding_create(actor=actor, org=branch, title="台账不规范", found_on=today)
    remedy = remedy_add(
        actor=actor,
        finding=finding,
        measure="规范台账",
        owner_name="李四",
        deadline=today + dt.timedelta(days=30),
    )
    invitee = draft.attendance.exclude(member=own).values_list("member_id", flat=True).first()
    return {
        "branch": branch.pk, "draft": draft.pk, "submitted": submitted.pk, "code": draft.checkin_code,
        "invitee": invitee, "reviewee": reviewee.pk, "unqualified_review": review.pk, "year": year,
        "finding": finding.pk, "remedy": remedy.pk, "planned": planned.pk,
        "planned_held": planned_held.pk,
    }  # fmt: skip


SESSION_ONLY = {("POST", "/api/v1/tokens")}


def _session_cookies(user: Any) -> dict[str, str]:
    """A logged-in browser session's cookies (with a CSRF secret, sent back as the header)."""
    from django.conf import settings as django_settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
    assert django_settings.CSRF_COOKIE_NAME == "csrftoken"
    return {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        "csrftoken": "fuzzcsrf" * 4,  # a 32-character secret: the cookie and header agree
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_generated_request_causes_a_server_error(
    tree, people, in_process_wsgi, method: str, path: str, mode: GenerationMode
) -> None:
    operation = SCHEMA[path][method]
    responses: list[int] = []
    clean: list[int] = []  # the valid requests' answers that were not poisoned
    orgs = {o.pk: o for o in Organization.objects.order_by("pk")}
    # Invalid requests are not aimed: they need no real rows (setup is most of a test's cost).
    rows = _real_rows(people, tree, orgs, path) if mode == GenerationMode.POSITIVE else None
    # Making a token is for a logged-in session only (a token may not make a token).
    session = _session_cookies(people.county_admin) if (method, path) in SESSION_ONLY else None

    @settings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        # A fresh token per call: a generated DELETE /tokens/{id} may revoke an earlier one.
        token, key = token_create(actor=people.county_admin, user=people.county_admin, name="fuzz")
        poisoned = False
        if rows is not None:
            rows.token_id = token.pk
            aim_at_real_rows(case, data, orgs=orgs, token_id=token.pk, rows=rows)
            # Valid requests, poisoned: Hypothesis seldom draws U+0000 itself.
            poisoned = data.draw(st.integers(0, 2), label="poison with U+0000") == 2
            if poisoned:
                case.query = with_nul(case.query)
                case.body = with_nul(case.body)
        headers = {"Authorization": f"Bearer {key}"}
        if session is not None:
            case.cookies = {**(case.cookies or {}), **session}
            headers = {"X-CSRFToken": session["csrftoken"]}
        response = case.call(app=in_process_wsgi, headers=headers)
        responses.append(response.status_code)
        if not poisoned:
            clean.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    run()
    assert responses, "no request was generated"
    assert all(code < 500 for code in responses)
    if mode == GenerationMode.POSITIVE and method != "DELETE":
        # Aimed at real rows, valid requests do get through (not only 404s and 400s).
        assert any(code < 300 for code in clean), clean
