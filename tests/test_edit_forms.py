"""Every edit form of every app, round-tripped as a browser would, and refused when stale.

Discovery rule: walk the URL resolver (every app, every namespace); a pattern is an *edit view*
when its URL name or its view function's name contains ``edit``, ``update`` or ``change`` as a
word part (``edit``, ``household_edit``, ``scheme_edit``, ``password_change`` …). Each one must
have a row builder in ``EDIT_FORMS`` below, or a reason in ``NOT_ROW_EDITS``; a new edit view
without either fails ``test_every_edit_view_is_exercised``, so this file cannot silently fall
behind the URL conf. Name edit views so (``<thing>_edit``): that is what lets them be found.
A view that edits a stored row under an older URL name is found by its function's name
(``mode_edit`` behind ``dues:mode``, ``plan_edit`` behind ``recruitment:plan``,
``dossier_settings_edit``, ``commitment_edit``): rename the function, keep the URL.

The round trip: load the page holding the form for a realistic row (every optional date
filled), read the form the way a browser does (inputs, checked boxes, selected options,
textareas; a date input whose value is not ``yyyy-mm-dd`` is sent empty, as a browser does;
textareas are sent with CRLF line breaks), post it back untouched, and compare every stored
field of the row (and its many-to-many sets) before and after, ``updated_at`` aside. No audit
row may be written either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone, translation

from dangjian.community.tests.factories import make_worthy
from dangjian.core import forms as core_forms
from dangjian.core.forms import ROW_VERSION_FIELD, STALE_MESSAGE
from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesBranchSetting
from dangjian.grid.models import HouseholdTag
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.meetings.models import Attendance
from dangjian.meetings.tests.factories import make_meeting
from dangjian.members.models import DossierRequirement
from dangjian.members.rules import code_labels
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization
from dangjian.points.models import Commitment, PointsScheme
from dangjian.recruitment.models import DevelopmentPlan

EDIT_WORD = re.compile(r"(^|_)(edit|update|change)(_|$)")
SKIPPED_NAMESPACES = {"admin", "api"}  # Django's own admin; the JSON API (no HTML forms)


@dataclass
class EditCase:
    """One edit form: who edits which row, where the form is shown and where it posts."""

    actor: Any
    row: models.Model
    page: str  # the page holding the form
    action: str  # where the form posts (the edit URL)
    meanwhile: dict[str, Any]  # someone else's save between loading and posting (shown fields)
    change: tuple[str, str]  # the user's own edit in the stale form
    skip_fields: set[str] = field(default_factory=set)


def _first_code(table: str) -> str:
    return next(iter(code_labels(table)))


def _org(tree: Any, people: Any) -> EditCase:
    org = tree.village_a1
    Organization.objects.filter(pk=org.pk).update(
        established_on=dt.date(2010, 3, 23),
        term_start=dt.date(2024, 1, 5),
        term_end=dt.date(2029, 1, 4),
        unit_name="甲村村民委员会",
        unit_credit_code="91330100MA2AXXXX1X",
        address="甲镇甲村一组 1 号",
        phone="0571-88880000",
    )
    url = f"/orgs/{org.pk}/edit/"
    return EditCase(
        people.county_admin, org, url, url, {"phone": "0571-88886666"}, ("address", "甲村二组")
    )


def _member(tree: Any, people: Any) -> EditCase:
    member = make_member(
        people.county_admin,
        tree.village_a1,
        name="王立新",
        address="甲村三组 8 号",
        native_place="浙江杭州",
        work_started_on=dt.date(1998, 9, 1),
        marital=_first_code("marital"),
        health=_first_code("health"),
        degree=_first_code("degree"),
        party_post=_first_code("party_post"),
        major="农学",
        school="浙江农林大学",
        admin_post="村委会委员",
        is_hardship=True,
        note="第一行\n第二行",
    )
    url = f"/members/{member.pk}/edit/"
    return EditCase(
        people.village_secretary,
        member,
        url,
        url,
        {"address": "甲村四组 2 号"},
        ("native_place", "浙江宁波"),
    )


def _meeting(tree: Any, people: Any) -> EditCase:
    make_member(people.county_admin, tree.village_a1, name="李桂兰")
    meeting = make_meeting(
        people.village_secretary,
        tree.village_a1,
        held_at=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=2),
        place="村党群服务中心",
        host_name="赵志刚",
        recorder_name="李桂兰",
        agenda="一、学习\n二、讨论",
        minutes="<p>会议学习了文件。</p><p>大家作了发言。</p>",
    )
    url = f"/meetings/{meeting.pk}/edit/"
    return EditCase(
        people.village_secretary,
        meeting,
        url,
        url,
        {"place": "村委会二楼"},
        ("topic", "学习党章"),
    )


def _attendance(tree: Any, people: Any) -> EditCase:
    member = make_member(people.county_admin, tree.village_a1, name="李桂兰")
    meeting = make_meeting(people.village_secretary, tree.village_a1)
    row = Attendance.objects.get(meeting=meeting, member=member)
    Attendance.objects.filter(pk=row.pk).update(status="excused", reason="外出务工")
    return EditCase(
        people.village_secretary,
        row,
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/attendance/",  # the whole sheet: one form, one token
        {"status": "present", "reason": ""},
        (f"reason-{member.pk}", "生病住院"),
    )


def _grid(tree: Any, people: Any) -> EditCase:
    grid = make_grid(tree.village_a1, workers=[people.grid_worker], area_description="一组、二组")
    url = f"/grid/{grid.pk}/edit/"
    return EditCase(
        people.county_admin, grid, url, url, {"area_description": "一组至三组"}, ("name", "一网格")
    )


def _household(tree: Any, people: Any) -> EditCase:
    grid = make_grid(tree.village_a1)
    tags = list(HouseholdTag.objects.filter(is_active=True).values_list("code", flat=True)[:2])
    household = make_household(grid, phone="13900001111", tags=tags)
    type(household).objects.filter(pk=household.pk).update(note="子女在外地")
    url = f"/grid/households/{household.pk}/edit/"
    return EditCase(
        people.county_admin, household, url, url, {"head_name": "王大妈"}, ("size", "4")
    )


def _worthy(tree: Any, people: Any) -> EditCase:
    worthy = make_worthy(tree.village_a1, phone="13900002222", note="退休教师，热心调解")
    url = f"/grid/worthies/{worthy.pk}/edit/"
    return EditCase(
        people.county_admin, worthy, url, url, {"specialty": "法律咨询"}, ("note", "新备注")
    )


def _scheme(tree: Any, people: Any) -> EditCase:
    scheme = PointsScheme.objects.filter(scope__isnull=True, kind="base").order_by("-year")[0]
    page = f"/points/catalogue/?org={tree.county.pk}&year={scheme.year}"
    return EditCase(
        people.county_admin,
        scheme,
        page,
        f"/points/catalogue/schemes/{scheme.pk}/",
        {"board_min_members": 7},
        ("base_points", "90"),
    )


def _dues_mode(tree: Any, people: Any) -> EditCase:
    branch = tree.village_a1
    setting = DuesBranchSetting.objects.create(
        branch=branch,
        mode=DuesBranchSetting.Mode.QUARTERLY,
        agreed_on=dt.date(2026, 1, 8),
        note="支委会同意按季度交纳",
        org_path=branch.path,
    )
    return EditCase(
        people.village_secretary,
        setting,
        f"/dues/?org={branch.pk}",
        f"/dues/orgs/{branch.pk}/mode/",
        {"agreed_on": dt.date(2026, 2, 3)},
        ("note", "党员大会同意"),
    )


def _recruitment_plan(tree: Any, people: Any) -> EditCase:
    org = tree.village_a1
    year = timezone.localdate().year
    plan = DevelopmentPlan.objects.create(
        org=org, org_path=org.path, year=year, quota=3, farmer_quota=1, note="重点发展青年农民"
    )
    url = f"/recruitment/plans/{org.pk}/{year}/"
    return EditCase(people.village_secretary, plan, url, url, {"quota": 5}, ("note", "新说明"))


def _dossier_requirement(tree: Any, people: Any) -> EditCase:
    row = DossierRequirement.objects.create(
        name="党员登记表", source="《党员档案工作规定》", sort=12, applies_to_probationary=False
    )
    url = f"/members/dossier-settings/?edit={row.pk}"
    return EditCase(people.county_admin, row, url, url, {"sort": 13}, ("source", "本地规定"))


def _commitment(tree: Any, people: Any) -> EditCase:
    me = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    type(me).objects.filter(pk=me.pk).update(user=people.member)
    row = Commitment.objects.create(
        member=me,
        year=timezone.localdate().year,
        text="带头参加志愿服务\n每月走访两户困难群众",
        org_path=me.org_path,
    )
    return EditCase(
        people.member,
        row,
        "/points/mine/",
        "/points/mine/commitment/",
        {"text": "带头参加志愿服务"},
        ("text", "带头学习"),
    )


EDIT_FORMS: dict[str, Callable[[Any, Any], EditCase]] = {
    "orgs:edit": _org,
    "members:edit": _member,
    "meetings:edit": _meeting,
    "meetings:attendance": _attendance,
    "grid:edit": _grid,
    "grid:household_edit": _household,
    "grid:worthy_edit": _worthy,
    "points:scheme_edit": _scheme,
    "dues:mode": _dues_mode,
    "recruitment:plan": _recruitment_plan,
    "members:dossier_settings": _dossier_requirement,
    "points:commitment": _commitment,
}

NOT_ROW_EDITS = {
    # Changes the user's password: the form never shows a stored value, so nothing can be lost.
    "accounts:password_change": "shows no stored values",
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from _walk(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p.callback


def discovered_edit_views() -> set[str]:
    """URL names whose name or view function name says it edits (see the module docstring)."""
    found = set()
    for name, view in _walk(get_resolver().url_patterns):
        view_name = getattr(getattr(view, "view_class", None), "__name__", "") or getattr(
            view, "__name__", ""
        )
        words = re.sub(r"(?<!^)(?=[A-Z])", "_", view_name).lower()  # PasswordChangeView
        if EDIT_WORD.search(name.rsplit(":", 1)[-1]) or EDIT_WORD.search(words):
            found.add(name)
    return found


def test_every_edit_view_is_exercised() -> None:
    found = discovered_edit_views()
    assert found == set(EDIT_FORMS) | set(NOT_ROW_EDITS), (
        "each edit view needs a row builder in EDIT_FORMS (or a reason in NOT_ROW_EDITS): "
        f"missing {sorted(found - set(EDIT_FORMS) - set(NOT_ROW_EDITS))}, "
        f"stale {sorted((set(EDIT_FORMS) | set(NOT_ROW_EDITS)) - found)}"
    )
    assert len(EDIT_FORMS) == 12


# --- the browser's side ----------------------------------------------------------------------

VALID = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    "number": re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"),
}


def _form_on(html: bytes, page: str, action: str) -> Any:
    doc = lxml.html.fromstring(html)
    target = urlsplit(action).path
    for form in doc.forms:
        if (form.get("method") or "get").lower() != "post":
            continue
        if urlsplit(urljoin(page, form.get("action") or page)).path == target:
            return form
    raise AssertionError(f"no form posting to {action} on {page}")


def browser_values(form: Any) -> list[tuple[str, str]]:
    """What a browser submits for this form, untouched by the user."""
    out: list[tuple[str, str]] = []
    for el in form.inputs:
        name = el.get("name")
        if not name or el.get("disabled") is not None:
            continue
        tag = el.tag.lower()
        if tag == "textarea":
            out.append((name, (el.text or "").replace("\r\n", "\n").replace("\n", "\r\n")))
        elif tag == "select":
            if el.multiple:
                out.extend((name, v) for v in el.value)
            elif el.value is not None:
                out.append((name, el.value))
        else:
            kind = (el.get("type") or "text").lower()
            if kind in ("submit", "image", "reset", "file", "button"):
                continue
            if kind in ("checkbox", "radio"):
                if el.get("checked") is not None:
                    out.append((name, el.get("value", "on")))
                continue
            value = el.get("value", "")
            if kind in VALID and value and not VALID[kind].match(value):
                value = ""  # the browser's value sanitization: it shows and sends nothing
            out.append((name, value))
    return out


def _post(client: Client, action: str, values: list[tuple[str, str]]) -> Any:
    return client.post(action, _as_data(values))


def snapshot(row: models.Model) -> dict[str, Any]:
    """Every stored field and many-to-many set, ``updated_at`` aside."""
    row = type(row)._default_manager.get(pk=row.pk)
    values = {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if f.name != "updated_at"
    }
    for m2m in row._meta.many_to_many:
        values[m2m.name] = sorted(getattr(row, m2m.name).values_list("pk", flat=True))
    return values


def _audits(row: models.Model) -> int:
    return AuditLog.objects.filter(object_type=row._meta.label_lower, object_id=str(row.pk)).count()


def _errors(html: bytes) -> list[str]:
    doc = lxml.html.fromstring(html)
    found = doc.xpath(
        "//*[contains(@class, 'alert-danger') or contains(@class, 'invalid-feedback')]"
    )
    return [e.text_content().strip() for e in found] or ["(no error shown)"]


def _open(client: Client, case: EditCase) -> Any:
    response = client.get(case.page)
    assert response.status_code == 200, case.page
    return _form_on(response.content, case.page, case.action)


@pytest.mark.parametrize("name", sorted(EDIT_FORMS))
def test_an_edit_form_posted_back_as_shown_changes_nothing(
    name: str, tree: Any, people: Any, login: Any
) -> None:
    case = EDIT_FORMS[name](tree, people)
    before, audits = snapshot(case.row), _audits(case.row)
    client = login(case.actor)
    form = _open(client, case)
    values = browser_values(form)
    assert any(k == ROW_VERSION_FIELD and v for k, v in values), "the form carries no version"
    response = _post(client, case.action, values)
    assert response.status_code == 302, _errors(response.content)
    assert snapshot(case.row) == before
    assert _audits(case.row) == audits


def test_the_round_trip_sees_dates_a_browser_would_drop() -> None:
    form = lxml.html.fromstring(
        '<form method="post"><input type="date" name="a" value="2010/03/23">'
        '<input type="date" name="b" value="2010-03-23"><textarea name="c">x\ny</textarea></form>'
    )
    assert browser_values(form) == [("a", ""), ("b", "2010-03-23"), ("c", "x\r\ny")]


@pytest.mark.parametrize("name", sorted(EDIT_FORMS))
def test_a_stale_edit_form_is_refused_and_overwrites_nothing(
    name: str, tree: Any, people: Any, login: Any
) -> None:
    case = EDIT_FORMS[name](tree, people)
    client = login(case.actor)
    form = _open(client, case)
    type(case.row)._default_manager.filter(pk=case.row.pk).update(**case.meanwhile)
    after_them, audits = snapshot(case.row), _audits(case.row)
    field_name, value = case.change
    values = [(k, value if k == field_name else v) for k, v in browser_values(form)]
    assert (field_name, value) in values
    response = client.post(case.action, _as_data(values), follow=True)
    assert STALE_MESSAGE in response.content.decode()
    assert snapshot(case.row) == after_them
    assert _audits(case.row) == audits


def test_an_edit_form_without_its_version_is_refused(tree: Any, people: Any, login: Any) -> None:
    case = _org(tree, people)
    client = login(case.actor)
    values = [(k, v) for k, v in browser_values(_open(client, case)) if k != ROW_VERSION_FIELD]
    values = [(k, "13800009999" if k == "phone" else v) for k, v in values]
    before = snapshot(case.row)
    response = client.post(case.action, _as_data(values))
    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode()
    assert snapshot(case.row) == before


def test_a_fresh_edit_saves_only_what_was_changed(tree: Any, people: Any, login: Any) -> None:
    case = _org(tree, people)
    before = snapshot(case.row)
    client = login(case.actor)
    values = [
        (k, "0571-12345678" if k == "phone" else v) for k, v in browser_values(_open(client, case))
    ]
    response = client.post(case.action, _as_data(values))
    assert response.status_code == 302
    after = snapshot(case.row)
    assert after == {**before, "phone": "0571-12345678"}
    assert after["established_on"] == dt.date(2010, 3, 23)
    assert after["term_end"] == dt.date(2029, 1, 4)
    log = AuditLog.objects.filter(object_id=str(case.row.pk), action="org.update").latest("id")
    assert set(log.changes) == {"phone"}


def _as_data(values: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for k, v in values:
        data.setdefault(k, []).append(v)
    return data


# --- one widget per kind of value ------------------------------------------------------------

ONE_WIDGET = {
    forms.DateTimeField: core_forms.DateTimeInput,  # before DateField: not a subclass, but explicit
    forms.DateField: core_forms.DateInput,
    forms.TimeField: core_forms.TimeInput,
}


def _all_form_classes() -> list[type[forms.BaseForm]]:
    for app in apps.get_app_configs():
        if app.name.startswith("dangjian."):
            for module in ("forms", "public_forms", "views"):
                with contextlib.suppress(ModuleNotFoundError):
                    importlib.import_module(f"{app.name}.{module}")
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("dangjian."):
            found.append(cls)
    return found


def test_every_date_time_and_text_box_uses_the_sites_one_widget() -> None:
    wrong = []
    classes = _all_form_classes()
    assert len(classes) > 40
    for cls in classes:
        for name, f in cls.base_fields.items():
            for kind, widget in ONE_WIDGET.items():
                if isinstance(f, kind) and not isinstance(f.widget, widget):
                    wrong.append(f"{cls.__module__}.{cls.__name__}.{name}")
            if isinstance(f.widget, forms.Textarea) and not isinstance(
                f.widget, core_forms.Textarea
            ):
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert wrong == []


def test_dates_render_as_iso_in_the_chinese_locale() -> None:
    with translation.override("zh-hans"):
        day = dt.date(2010, 3, 23)
        assert core_forms.DateInput().format_value(day) == "2010-03-23"
        assert forms.DateInput().format_value(day) == "2010-03-23"  # FORMAT_MODULE_PATH
        at = dt.datetime(2026, 12, 7, 9, 5)
        assert core_forms.DateTimeInput().format_value(at) == "2026-12-07T09:05"
        assert core_forms.TimeInput().format_value(dt.time(9, 5)) == "09:05"
        assert core_forms.MonthInput().format_value(day) == "2010-03"
        assert forms.DateField().clean("2010-03-23") == day
        assert forms.DateField().clean("2010/03/23") == day
        assert forms.DateField().clean("2010年3月23日") == day


def test_a_textarea_stores_a_browsers_crlf_as_lf() -> None:
    widget = core_forms.Textarea()
    assert widget.value_from_datadict({"t": "a\r\nb\rc"}, {}, "t") == "a\nb\nc"
